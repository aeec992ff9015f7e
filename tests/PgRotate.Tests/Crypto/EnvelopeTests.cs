using System.Text;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Tests.Crypto;

public sealed class EnvelopeTests : IDisposable
{
    private const string Row = "secret:orders/app:version:3";
    private const int HeaderLength = 1 + 12 + 32 + 16 + 12 + 16;

    private readonly MasterKey _key = MasterKey.Generate();

    public void Dispose() => _key.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(100_000)]
    public void Envelope_round_trips_bytes(int length)
    {
        byte[] plaintext = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var envelope = new Envelope(_key);

        byte[] sealedValue = envelope.Seal(plaintext, Row);

        Assert.Equal(HeaderLength + length, sealedValue.Length);
        Assert.Equal(1, sealedValue[0]);
        Assert.Equal(plaintext, envelope.Open(sealedValue, Row));
    }

    [Fact]
    public void Envelope_round_trips_text_and_hides_it()
    {
        var envelope = new Envelope(_key);
        var password = new SecretText("S3cret-Rotated!-Ⅸ");

        byte[] sealedValue = envelope.SealText(password, Row);

        Assert.Equal(password.Reveal(), envelope.OpenText(sealedValue, Row).Reveal());
        Assert.DoesNotContain("S3cret", Encoding.Latin1.GetString(sealedValue), StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_opens_under_a_copy_of_the_master_key()
    {
        byte[] sealedValue = new Envelope(_key).SealText(new SecretText("pwA"), Row);
        using var copy = MasterKey.FromBase64(_key.ToBase64());

        Assert.Equal("pwA", new Envelope(copy).OpenText(sealedValue, Row).Reveal());
    }

    [Fact]
    public void Two_seals_of_the_same_value_differ()
    {
        var envelope = new Envelope(_key);
        var password = new SecretText("pwA");

        byte[] first = envelope.SealText(password, Row);
        byte[] second = envelope.SealText(password, Row);

        Assert.NotEqual(first, second);
        // Nonces and wrapped data keys must all be fresh, not just the ciphertext.
        Assert.NotEqual(first[1..13], second[1..13]);
        Assert.NotEqual(first[13..45], second[13..45]);
        Assert.NotEqual(first[61..73], second[61..73]);
    }

    [Fact]
    public void Envelope_refuses_a_wrong_master_key()
    {
        byte[] sealedValue = new Envelope(_key).SealText(new SecretText("pwA"), Row);
        using var otherKey = MasterKey.Generate();

        var e = Assert.Throws<PgRotateException>(() => new Envelope(otherKey).OpenText(sealedValue, Row));

        Assert.Equal(ErrorCode.MasterKeyMismatch, e.Code);
        Assert.Equal(
            $"cannot decrypt {Row}: wrong master key, or the stored value was altered or moved to another row",
            e.Message);
    }

    [Fact]
    public void Envelope_refuses_a_value_moved_to_another_row()
    {
        var envelope = new Envelope(_key);
        byte[] sealedValue = envelope.SealText(new SecretText("pwA"), Row);

        var e = Assert.Throws<PgRotateException>(
            () => envelope.OpenText(sealedValue, "secret:orders/app:version:4"));

        Assert.Equal(ErrorCode.MasterKeyMismatch, e.Code);
        Assert.Contains("secret:orders/app:version:4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_refuses_a_value_with_any_byte_flipped()
    {
        var envelope = new Envelope(_key);
        byte[] original = envelope.SealText(new SecretText("pwA"), Row);

        // Byte 0 is the format version (checked separately below); every other byte is authenticated.
        for (int i = 1; i < original.Length; i++)
        {
            byte[] altered = (byte[])original.Clone();
            altered[i] ^= 0x01;

            var e = Assert.Throws<PgRotateException>(() => envelope.Open(altered, Row));

            Assert.Equal(ErrorCode.MasterKeyMismatch, e.Code);
            Assert.DoesNotContain("pwA", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Envelope_refuses_a_value_spliced_from_two_seals()
    {
        var envelope = new Envelope(_key);
        byte[] first = envelope.SealText(new SecretText("pwA"), Row);
        byte[] second = envelope.SealText(new SecretText("pwB"), Row);

        // The wrapped data key of one value with the ciphertext of another.
        byte[] spliced = [.. first[..61], .. second[61..]];

        Assert.Equal(ErrorCode.MasterKeyMismatch, Assert.Throws<PgRotateException>(() => envelope.Open(spliced, Row)).Code);
    }

    [Fact]
    public void Envelope_reports_a_truncated_value_as_corrupt()
    {
        var envelope = new Envelope(_key);
        byte[] sealedValue = envelope.SealText(new SecretText("pwA"), Row);

        foreach (int length in new[] { 0, 1, HeaderLength - 1 })
        {
            var e = Assert.Throws<PgRotateException>(() => envelope.Open(sealedValue.AsSpan(0, length), Row));

            Assert.Equal(ErrorCode.StoreCorrupt, e.Code);
            Assert.Equal($"stored value for {Row} is truncated or not a pgrotate ciphertext", e.Message);
        }

        // Cutting into the ciphertext still leaves a plausible length, but no longer authenticates.
        Assert.Equal(
            ErrorCode.MasterKeyMismatch,
            Assert.Throws<PgRotateException>(() => envelope.Open(sealedValue.AsSpan(0, sealedValue.Length - 1), Row)).Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(0xFF)]
    public void Envelope_reports_an_unknown_format_version_as_corrupt(byte version)
    {
        var envelope = new Envelope(_key);
        byte[] sealedValue = envelope.SealText(new SecretText("pwA"), Row);
        sealedValue[0] = version;

        Assert.Equal(ErrorCode.StoreCorrupt, Assert.Throws<PgRotateException>(() => envelope.Open(sealedValue, Row)).Code);
    }

    [Fact]
    public void OpenText_reports_sealed_bytes_that_are_not_text_as_corrupt()
    {
        var envelope = new Envelope(_key);
        byte[] sealedValue = envelope.Seal([0xFF, 0xFE, 0xC0], Row);

        Assert.Equal(ErrorCode.StoreCorrupt, Assert.Throws<PgRotateException>(() => envelope.OpenText(sealedValue, Row)).Code);
    }

    [Fact]
    public void Envelope_requires_associated_data()
    {
        var envelope = new Envelope(_key);

        Assert.Throws<ArgumentException>(() => envelope.Seal([1, 2, 3], ""));
        Assert.Throws<ArgumentException>(() => envelope.Open(new byte[HeaderLength], ""));
    }

    [Fact]
    public void Envelope_refuses_to_work_with_a_disposed_master_key()
    {
        var key = MasterKey.Generate();
        var envelope = new Envelope(key);
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => envelope.SealText(new SecretText("pwA"), Row));
    }
}
