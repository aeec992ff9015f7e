using System.Security.Cryptography;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Leases;

/// <summary>
/// How lease roles are named, and so which roles count as pgrotate's lease roles: a prefix made from the secret's
/// name template (by default <c>GROUP_l_</c>) followed by exactly <see cref="RandomLength"/> lowercase letters and
/// digits. The orphan sweep only ever considers roles of exactly that shape that are members of the group; a role
/// named otherwise is never one of pgrotate's leases.
/// </summary>
internal static class LeaseRoleNames
{
    public const string GroupPlaceholder = "{group}";
    public const string RandomPlaceholder = "{random}";
    public const string DefaultTemplate = GroupPlaceholder + "_l_" + RandomPlaceholder;

    /// <summary>36^10 ≈ 3.7e15 names: a collision among even millions of live leases is beyond likely.</summary>
    public const int RandomLength = 10;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// A name template: <c>{group}</c> (optional, for the group's name), letters, digits and underscores, ending in
    /// <c>{random}</c>, e.g. <c>{group}_l_{random}</c> or <c>orders_inst_{random}</c>.
    /// </summary>
    public static string ParseTemplate(string? template)
    {
        var text = string.IsNullOrEmpty(template) ? DefaultTemplate : template;
        var fixedPart = text.EndsWith(RandomPlaceholder, StringComparison.Ordinal) ? text[..^RandomPlaceholder.Length] : null;
        if (fixedPart is null || fixedPart.Contains(RandomPlaceholder, StringComparison.Ordinal) || fixedPart.Length == 0)
        {
            throw PgRotateException.InvalidInput(
                $"--name-template {Sql.Printable(text)} must end with {RandomPlaceholder} (once) after a fixed prefix, e.g. {DefaultTemplate}");
        }

        // The prefix must itself be a valid role name start; checked with a stand-in group name.
        var sample = fixedPart.Replace(GroupPlaceholder, "g", StringComparison.Ordinal);
        if (sample.Contains('{', StringComparison.Ordinal) || sample.Contains('}', StringComparison.Ordinal))
        {
            throw PgRotateException.InvalidInput($"--name-template {Sql.Printable(text)} knows only {GroupPlaceholder} and {RandomPlaceholder}");
        }

        RoleName.Parse(sample + new string('a', RandomLength), "a lease role name from --name-template");
        return text;
    }

    /// <summary>The fixed part of <paramref name="template"/>'s names for <paramref name="group"/>, checked to leave room for the random part.</summary>
    public static string Prefix(string template, RoleName group)
    {
        var prefix = template[..^RandomPlaceholder.Length].Replace(GroupPlaceholder, group.Value, StringComparison.Ordinal);
        RoleName.Parse(prefix + new string('a', RandomLength), "a lease role name from --name-template");
        return prefix;
    }

    public static RoleName New(string template, RoleName group) =>
        RoleName.Parse(Prefix(template, group) + RandomNumberGenerator.GetString(Alphabet, RandomLength));

    /// <summary>Whether <paramref name="role"/> has exactly the shape of a lease role name with <paramref name="prefix"/>.</summary>
    public static bool IsLeaseRole(string role, string prefix) =>
        role.Length == prefix.Length + RandomLength && role.StartsWith(prefix, StringComparison.Ordinal) &&
        role.AsSpan(prefix.Length).IndexOfAnyExcept(Alphabet) < 0;
}
