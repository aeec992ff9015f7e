using PgRotate.Crypto;

namespace PgRotate.Tests.Crypto;

public sealed class PasswordGeneratorTests
{
    [Fact]
    public void Generate_defaults_to_32_letters_and_digits()
    {
        string password = PasswordGenerator.Generate().Reveal();

        Assert.Equal(32, password.Length);
        Assert.All(password, c => Assert.True(char.IsAsciiLetterOrDigit(c), $"unexpected character U+{(int)c:X4}"));
    }

    [Theory]
    [InlineData(22)]
    [InlineData(64)]
    [InlineData(1024)]
    public void Generate_honours_the_requested_length(int length)
    {
        Assert.Equal(length, PasswordGenerator.Generate(length).Reveal().Length);
    }

    [Fact]
    public void Generated_passwords_are_unique()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(seen.Add(PasswordGenerator.Generate(PasswordGenerator.MinimumLength).Reveal()));
        }
    }

    [Fact]
    public void Generated_passwords_use_the_whole_alphabet()
    {
        var seen = new HashSet<char>();
        for (int i = 0; i < 1_000; i++)
        {
            seen.UnionWith(PasswordGenerator.Generate().Reveal());
        }

        // 32,000 draws from 62 symbols: the chance that any symbol is missing is below 1e-200.
        Assert.Equal(62, seen.Count);
        Assert.Equal(PasswordGenerator.Alphabet.ToHashSet(), seen);
    }

    [Fact]
    public void The_minimum_length_is_the_shortest_that_gives_128_bits()
    {
        double bitsPerSymbol = Math.Log2(PasswordGenerator.Alphabet.Length);

        Assert.True(PasswordGenerator.MinimumLength * bitsPerSymbol >= 128);
        Assert.True((PasswordGenerator.MinimumLength - 1) * bitsPerSymbol < 128);
        Assert.Equal(62, PasswordGenerator.Alphabet.Distinct().Count());
    }

    [Theory]
    [InlineData(21)]
    [InlineData(8)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1025)]
    [InlineData(int.MaxValue)]
    public void Generate_refuses_lengths_below_128_bits_or_absurdly_long(int length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PasswordGenerator.Generate(length));
    }

    [Fact]
    public void Generated_passwords_do_not_show_in_ToString()
    {
        SecretText password = PasswordGenerator.Generate();

        Assert.DoesNotContain(password.Reveal(), password.ToString(), StringComparison.Ordinal);
    }
}
