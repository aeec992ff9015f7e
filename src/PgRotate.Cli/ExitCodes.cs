using PgRotate.Errors;

namespace PgRotate.Cli;

/// <summary>The process exit codes: 0 ok, 1 unexpected failure, 2 usage, then one per <see cref="ErrorCode"/>.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.InvalidInput => Usage,
        ErrorCode.NotFound => 3,
        ErrorCode.AlreadyExists => 4,
        ErrorCode.StoreMissing => 5,
        ErrorCode.StoreCorrupt => 6,
        ErrorCode.MasterKeyMissing => 7,
        ErrorCode.MasterKeyMismatch => 8,
        ErrorCode.TargetUnreachable => 9,
        ErrorCode.AuthenticationFailed => 10,
        ErrorCode.PermissionDenied => 11,
        ErrorCode.IncompatibleState => 12,
        ErrorCode.RotationInProgress => 13,
        ErrorCode.RotationFailed => 14,
        ErrorCode.DriftDetected => 15,
        ErrorCode.ClientsStillConnected => 16,
        ErrorCode.PostgresError => 17,
        _ => Failure,
    };
}
