namespace PgRotate.Rotation;

/// <summary>The four steps of a rotation (create, set, test, finish; see RotationEngine). Each is idempotent; the store says which ones are done.</summary>
public enum RotationStep
{
    /// <summary>Generate the new password and store it as the pending version, before the server is touched.</summary>
    Create,

    /// <summary>Give the login the new SCRAM verifier, LOGIN and VALID UNTIL in one ALTER ROLE.</summary>
    Set,

    /// <summary>Log in with the new credential on a fresh connection and check who it acts as.</summary>
    Test,

    /// <summary>Move the stages in one store transaction, then start the previous login's grace on the server.</summary>
    Finish,
}
