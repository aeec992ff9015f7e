using System.Text.RegularExpressions;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Tests.Postgres;

public sealed class ScramVerifierTests
{
    // Set as 'pwA' on a real PostgreSQL 15 server and read back from pg_authid.
    private const string ServerVerifierOfPwA =
        "SCRAM-SHA-256$4096:U9D7rmnaMNxW4r6i/z80iQ==$7NfFX5LwINcuuJk3su2FG7CsUipqQgameQ1wVv/p/bU=:K/1jwvPBQqES2IYNXOHxUF5ruukAvLM/2Ypl6X3AZ+E=";

    // Expected values below were computed with an independent implementation (Python's hashlib.pbkdf2_hmac and hmac).
    public static TheoryData<string, int, string, string> KnownAnswers => new()
    {
        { "pwA", 4096, "U9D7rmnaMNxW4r6i/z80iQ==", ServerVerifierOfPwA },
        {
            "S3cret-Rotated!", 4096, "AAECAwQFBgcICQoLDA0ODw==",
            "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$2pCByteUGUFmDhhydiEDdK8fsDOglM2mkxffwiigWwU=:QU91mLUR+mo2rEmUU46mGP/aByQ39MWFQOeT6B2IePU="
        },
        {
            "correct horse battery staple", 8192, "c2FsdHNhbHRzYWx0c2FsdA==",
            "SCRAM-SHA-256$8192:c2FsdHNhbHRzYWx0c2FsdA==$yUGXFtUcKQJozSkPzs0TAHu2+xqH9eDWr/bxWwOGwns=:pC6VBx9EM0MeVNY3hpl0oLigZeW4Jv7ZV/52LT1Jl8c="
        },
        {
            "x", 1, "AA==",
            "SCRAM-SHA-256$1:AA==$QevkZtrM+QfwwAiBkXvPUUBp9Cifc1GpcGQHfizrEeA=:qn4xOPJxK4ONw6X7kvD7k2z6V/ShB7LsK7QxNSHhNdM="
        },
    };

    private const string StoredKeyOfPwA = "7NfFX5LwINcuuJk3su2FG7CsUipqQgameQ1wVv/p/bU=";
    private const string ServerKeyOfPwA = "K/1jwvPBQqES2IYNXOHxUF5ruukAvLM/2Ypl6X3AZ+E=";
    private const string SaltOfPwA = "U9D7rmnaMNxW4r6i/z80iQ==";

    public static TheoryData<string> Malformed => new()
    {
        "",
        "pwA",
        "S3cret-Rotated!",
        "md5c0b0e3d6b7a6d3e1f0e0d8c7b6a5f4e3",
        // A value the server silently hashed as a plaintext (docs/postgres-facts.md, section 3).
        "SCRAM-SHA-256$4096:U9D7rmnaMNxW4r6i/z80iQ==$rGZYtVXF:a0eegZu",
        "scram-sha-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-1$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256",
        "SCRAM-SHA-256$",
        "SCRAM-SHA-256$4096:" + SaltOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":",
        "SCRAM-SHA-256$4096$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        // Truncated keys.
        ServerVerifierOfPwA[..^1],
        ServerVerifierOfPwA[..^4],
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA[..^4] + ":" + ServerKeyOfPwA,
        // Keys of 31 and 33 bytes.
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==:" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
        // Base64 that decodes but is not canonical: missing padding, non-zero trailing bits, URL-safe alphabet.
        "SCRAM-SHA-256$4096:U9D7rmnaMNxW4r6i/z80iQ$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA.TrimEnd('=') + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:U9D7rmnaMNxW4r6i/z80iR==$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA.Replace('/', '_'),
        "SCRAM-SHA-256$4096:U9D7rmnaMNxW4r6i_z80iQ==$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        // Empty salt.
        "SCRAM-SHA-256$4096:$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        // Extra fields.
        ServerVerifierOfPwA + ":AAAA",
        ServerVerifierOfPwA + "$AAAA",
        ServerVerifierOfPwA + "$",
        "SCRAM-SHA-256$4096:" + SaltOfPwA + ":AAAA$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA + ":" + ServerKeyOfPwA,
        // Iteration counts.
        "SCRAM-SHA-256$0:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$04096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$+4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$-4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096.0:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$10000001:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$99999999999:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4O96:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$\u0664096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        // Quotes would break out of the SQL literal the verifier is embedded in.
        ServerVerifierOfPwA + "'",
        "'" + ServerVerifierOfPwA + "'",
        ServerVerifierOfPwA.Replace("K/1j", "K'1j", StringComparison.Ordinal),
        ServerVerifierOfPwA.Replace("K/1j", "K\"1j", StringComparison.Ordinal),
        ServerVerifierOfPwA.Replace("K/1j", "K\\1j", StringComparison.Ordinal),
        // Whitespace anywhere.
        " " + ServerVerifierOfPwA,
        ServerVerifierOfPwA + " ",
        ServerVerifierOfPwA + "\n",
        ServerVerifierOfPwA + "\r\n",
        ServerVerifierOfPwA.Replace("K/1j", "K/1 j", StringComparison.Ordinal)[..^1],
        "SCRAM-SHA-256$ 4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096 :" + SaltOfPwA + "$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:" + SaltOfPwA + "$" + StoredKeyOfPwA + ": " + ServerKeyOfPwA,
        "SCRAM-SHA-256$4096:U9D7rmna\tMNxW4r6i/z80iQ==$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA,
        ServerVerifierOfPwA + "\0",
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Compute_matches_the_reference_implementation(string password, int iterations, string salt, string expected)
    {
        Assert.Equal(expected, ScramVerifier.Compute(new SecretText(password), iterations, Convert.FromBase64String(salt)));
    }

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Known_verifiers_are_well_formed_and_match_their_password(string password, int iterations, string salt, string verifier)
    {
        _ = (iterations, salt);
        Assert.True(ScramVerifier.IsWellFormed(verifier));
        ScramVerifier.EnsureWellFormed(verifier);
        Assert.True(ScramVerifier.Matches(verifier, new SecretText(password)));
    }

    [Fact]
    public void Matches_rejects_a_wrong_password()
    {
        Assert.False(ScramVerifier.Matches(ServerVerifierOfPwA, new SecretText("pwB")));
        Assert.False(ScramVerifier.Matches(ServerVerifierOfPwA, new SecretText("pwA ")));
        Assert.False(ScramVerifier.Matches(ServerVerifierOfPwA, new SecretText("PWA")));
    }

    [Fact]
    public void Matches_is_false_for_values_that_are_not_scram_verifiers()
    {
        Assert.False(ScramVerifier.Matches("pwA", new SecretText("pwA")));
        Assert.False(ScramVerifier.Matches("md5c0b0e3d6b7a6d3e1f0e0d8c7b6a5f4e3", new SecretText("pwA")));
        Assert.False(ScramVerifier.Matches(ServerVerifierOfPwA + " ", new SecretText("pwA")));
    }

    [Fact]
    public void Create_gives_a_well_formed_verifier_that_matches_its_password()
    {
        SecretText password = PasswordGenerator.Generate();

        string verifier = ScramVerifier.Create(password);

        Assert.True(ScramVerifier.IsWellFormed(verifier));
        Assert.True(ScramVerifier.Matches(verifier, password));
        Assert.False(ScramVerifier.Matches(verifier, PasswordGenerator.Generate()));
        Assert.StartsWith("SCRAM-SHA-256$4096:", verifier, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_uses_a_fresh_16_byte_salt_each_time()
    {
        var password = new SecretText("S3cret-Rotated!");

        string first = ScramVerifier.Create(password);
        string second = ScramVerifier.Create(password);

        Assert.NotEqual(first, second);
        string salt = first.Split('$')[1].Split(':')[1];
        Assert.Equal(ScramVerifier.SaltLength, Convert.FromBase64String(salt).Length);
        Assert.True(ScramVerifier.Matches(second, password));
    }

    [Fact]
    public void Create_honours_the_iteration_count()
    {
        var password = new SecretText("S3cret-Rotated!");

        string verifier = ScramVerifier.Create(password, 8192);

        Assert.StartsWith("SCRAM-SHA-256$8192:", verifier, StringComparison.Ordinal);
        Assert.True(ScramVerifier.Matches(verifier, password));
    }

    [Fact]
    public void Verifiers_contain_only_characters_safe_in_a_sql_literal()
    {
        var safe = new Regex("^[A-Za-z0-9+/=:$-]+$", RegexOptions.None, TimeSpan.FromSeconds(1));
        for (int i = 0; i < 200; i++)
        {
            Assert.Matches(safe, ScramVerifier.Create(PasswordGenerator.Generate(), 1));
        }
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void IsWellFormed_rejects_a_malformed_verifier(string verifier)
    {
        Assert.False(ScramVerifier.IsWellFormed(verifier));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void EnsureWellFormed_refuses_a_malformed_verifier_without_echoing_it(string verifier)
    {
        var e = Assert.Throws<PgRotateException>(() => ScramVerifier.EnsureWellFormed(verifier));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
        Assert.DoesNotContain(StoredKeyOfPwA, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ServerKeyOfPwA, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SaltOfPwA, e.Message, StringComparison.Ordinal);
        // Short stubs such as "SCRAM-SHA-256$" legitimately appear in the message's description of the format.
        if (verifier.Length > 16)
        {
            Assert.DoesNotContain(verifier, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void IsWellFormed_rejects_null()
    {
        Assert.False(ScramVerifier.IsWellFormed(null));
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<PgRotateException>(() => ScramVerifier.EnsureWellFormed(null)).Code);
    }

    [Fact]
    public void IsWellFormed_accepts_the_extremes_of_the_iteration_range_and_other_salt_lengths()
    {
        Assert.True(ScramVerifier.IsWellFormed("SCRAM-SHA-256$1:AA==$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA));
        Assert.True(ScramVerifier.IsWellFormed("SCRAM-SHA-256$10000000:AA==$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA));
        Assert.True(ScramVerifier.IsWellFormed("SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=$" + StoredKeyOfPwA + ":" + ServerKeyOfPwA));
    }

    [Theory]
    [InlineData("pw\u2168")]
    [InlineData("pässwort")]
    [InlineData("pass\0word")]
    [InlineData("")]
    public void Compute_refuses_passwords_the_server_would_treat_differently(string password)
    {
        var e = Assert.Throws<ArgumentException>(() => ScramVerifier.Create(new SecretText(password)));
        if (password.Length > 0)
        {
            Assert.DoesNotContain(password, e.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentException>(() => ScramVerifier.Compute(new SecretText(password), 4096, new byte[16]));
        Assert.Throws<ArgumentException>(() => ScramVerifier.Matches(ServerVerifierOfPwA, new SecretText(password)));
        Assert.Throws<ArgumentException>(() => ScramVerifier.Matches("md5c0b0e3d6b7a6d3e1f0e0d8c7b6a5f4e3", new SecretText(password)));
    }

    [Fact]
    public void Compute_refuses_bad_iteration_counts_and_an_empty_salt()
    {
        var password = new SecretText("pwA");

        Assert.Throws<ArgumentOutOfRangeException>(() => ScramVerifier.Compute(password, 0, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScramVerifier.Compute(password, -1, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScramVerifier.Compute(password, ScramVerifier.MaxIterations + 1, new byte[16]));
        Assert.Throws<ArgumentException>(() => ScramVerifier.Compute(password, 4096, ReadOnlySpan<byte>.Empty));
    }
}
