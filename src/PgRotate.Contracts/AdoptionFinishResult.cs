namespace PgRotate.Contracts;

/// <summary>What <c>secret adopt-finish</c> did: the group role of the secret can no longer log in.</summary>
/// <param name="AlreadyFinished">True when the adoption had been finished before: nothing changed.</param>
public sealed record AdoptionFinishResult(string Name, string Group, AdoptionState Adoption, bool AlreadyFinished);
