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
    public void Generated_passwords_use_every_ascii_letter_and_digit_and_nothing_else()
    {
        var seen = new HashSet<char>();
        for (int i = 0; i < 1_000; i++)
        {
            seen.UnionWith(PasswordGenerator.Generate().Reveal());
        }

        // 32,000 draws from 62 symbols: the chance that any symbol is missing is below 1e-200.
        const string expected = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        Assert.Equal(expected, string.Concat(seen.Order()));
    }

    [Fact]
    public void Every_symbol_is_drawn_equally_often()
    {
        // 620,000 symbols, 10,000 expected per symbol. A modulo bias (e.g. a byte % 62) makes the first eight symbols
        // about 1.25 times as frequent as the rest, a chi-square far beyond the bound; for a uniform draw with 61
        // degrees of freedom the statistic exceeds 150 with a probability below 1e-8.
        var counts = new Dictionary<char, int>();
        for (int i = 0; i < 20_000; i++)
        {
            foreach (var c in PasswordGenerator.Generate(31).Reveal())
            {
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        }

        var expectedCount = 20_000 * 31 / 62.0;
        var chiSquare = counts.Values.Sum(n => (n - expectedCount) * (n - expectedCount) / expectedCount);
        Assert.Equal(62, counts.Count);
        Assert.True(chiSquare < 150, $"chi-square {chiSquare:F1} over 62 symbols: the symbols are not uniform");
    }

    [Fact]
    public void Symbols_do_not_depend_on_their_position()
    {
        // Each position of a password on its own must also be uniform: a generator that, say, always started with a
        // letter would lose bits. 62,000 passwords of length 22: about 1,000 draws per symbol at each position.
        const int samples = 62_000;
        var firstSeen = new HashSet<char>();
        var lastSeen = new HashSet<char>();
        var firstCounts = new Dictionary<char, int>();
        for (int i = 0; i < samples; i++)
        {
            var password = PasswordGenerator.Generate(22).Reveal();
            firstSeen.Add(password[0]);
            lastSeen.Add(password[^1]);
            firstCounts[password[0]] = firstCounts.GetValueOrDefault(password[0]) + 1;
        }

        Assert.Equal(62, firstSeen.Count);
        Assert.Equal(62, lastSeen.Count);
        Assert.InRange(firstCounts.Values.Min(), 800, 1_200);
        Assert.InRange(firstCounts.Values.Max(), 800, 1_200);
    }

    [Fact]
    public void The_shortest_password_it_generates_carries_at_least_128_bits()
    {
        var shortest = Enumerable.Range(1, 64).First(length =>
        {
            try
            {
                PasswordGenerator.Generate(length);
                return true;
            }
            catch (ArgumentOutOfRangeException)
            {
                return false;
            }
        });
        var symbols = new HashSet<char>();
        for (int i = 0; i < 1_000; i++)
        {
            symbols.UnionWith(PasswordGenerator.Generate(shortest).Reveal());
        }

        // Uniform symbols (tested above) from this many distinct ones: length * log2(symbols) bits.
        Assert.True(shortest * Math.Log2(symbols.Count) >= 128, $"{shortest} symbols of {symbols.Count} give {shortest * Math.Log2(symbols.Count):F0} bits");
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
