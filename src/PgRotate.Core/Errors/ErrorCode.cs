namespace PgRotate.Errors;

/// <summary>
/// Stable, machine-readable reasons a pgrotate operation failed. The CLI maps each to an exit code, the API to an
/// HTTP status; the wire name (<see cref="ErrorCodes.WireName"/>) never changes once shipped.
/// </summary>
public enum ErrorCode
{
    InvalidInput,
    NotFound,
    AlreadyExists,
    StoreMissing,
    StoreCorrupt,
    MasterKeyMissing,
    MasterKeyMismatch,
    TargetUnreachable,
    AuthenticationFailed,
    PermissionDenied,
    IncompatibleState,
    RotationInProgress,
    RotationFailed,
    DriftDetected,
    ClientsStillConnected,
    PostgresError,
    EnvironmentError,
}

public static class ErrorCodes
{
    public static string WireName(this ErrorCode code) => code switch
    {
        ErrorCode.InvalidInput => "invalid_input",
        ErrorCode.NotFound => "not_found",
        ErrorCode.AlreadyExists => "already_exists",
        ErrorCode.StoreMissing => "store_missing",
        ErrorCode.StoreCorrupt => "store_corrupt",
        ErrorCode.MasterKeyMissing => "master_key_missing",
        ErrorCode.MasterKeyMismatch => "master_key_mismatch",
        ErrorCode.TargetUnreachable => "target_unreachable",
        ErrorCode.AuthenticationFailed => "authentication_failed",
        ErrorCode.PermissionDenied => "permission_denied",
        ErrorCode.IncompatibleState => "incompatible_state",
        ErrorCode.RotationInProgress => "rotation_in_progress",
        ErrorCode.RotationFailed => "rotation_failed",
        ErrorCode.DriftDetected => "drift_detected",
        ErrorCode.ClientsStillConnected => "clients_still_connected",
        ErrorCode.PostgresError => "postgres_error",
        ErrorCode.EnvironmentError => "environment_error",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
