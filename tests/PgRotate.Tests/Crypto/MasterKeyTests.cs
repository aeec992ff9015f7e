using System.Security.Cryptography;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Tests.Crypto;

public sealed class MasterKeyTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("pgrotate-masterkey-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathFor(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void Generated_keys_are_32_random_bytes()
    {
        using var first = MasterKey.Generate();
        using var second = MasterKey.Generate();

        Assert.Equal(32, first.Bytes.Length);
        Assert.False(first.Bytes.SequenceEqual(second.Bytes));
        Assert.NotEqual(first.KeyId, second.KeyId);
    }

    [Fact]
    public void A_key_round_trips_through_base64()
    {
        using var original = MasterKey.Generate();

        using var copy = MasterKey.FromBase64(original.ToBase64());

        Assert.True(original.Bytes.SequenceEqual(copy.Bytes));
        Assert.Equal(original.KeyId, copy.KeyId);
    }

    [Fact]
    public void FromBase64_tolerates_a_trailing_newline()
    {
        using var original = MasterKey.Generate();

        using var copy = MasterKey.FromBase64(original.ToBase64() + "\n");

        Assert.Equal(original.KeyId, copy.KeyId);
    }

    [Fact]
    public void KeyId_is_the_first_8_bytes_of_the_sha256_of_the_key_in_lowercase_hex()
    {
        byte[] bytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

        using var key = MasterKey.FromBase64(Convert.ToBase64String(bytes));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes))[..16], key.KeyId);
        Assert.Matches("^[0-9a-f]{16}$", key.KeyId);
    }

    [Fact]
    public void ToString_does_not_show_the_key()
    {
        using var key = MasterKey.Generate();

        string shown = key.ToString();

        Assert.DoesNotContain(key.ToBase64(), shown, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(key.Bytes), shown, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(key.ToBase64()[..8], shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not base64 at all!")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==")] // 31 bytes
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g")] // 33 bytes
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==")] // 64 bytes
    [InlineData("AAECAwQFBgcICQoLDA0ODw==")] // 16 bytes
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")] // 32 bytes, padding missing
    public void FromBase64_refuses_anything_but_32_bytes_of_base64_without_echoing_it(string text)
    {
        var e = Assert.Throws<PgRotateException>(() => MasterKey.FromBase64(text));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
        if (text.Trim().Length > 0)
        {
            Assert.DoesNotContain(text, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_key_round_trips_through_a_file_readable_only_by_its_owner()
    {
        string path = PathFor("master.key");
        using var original = MasterKey.Generate();

        await original.WriteNewFileAsync(path, TestContext.Current.CancellationToken);
        using var read = await MasterKey.ReadFileAsync(path, TestContext.Current.CancellationToken);

        Assert.True(original.Bytes.SequenceEqual(read.Bytes));
        Assert.Equal(original.ToBase64() + "\n", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("POSIX file modes do not exist on Windows");
        }
        else
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task ReadFileAsync_accepts_the_key_with_or_without_a_newline(string ending)
    {
        string path = PathFor("master.key");
        using var original = MasterKey.Generate();
        await File.WriteAllTextAsync(path, original.ToBase64() + ending, TestContext.Current.CancellationToken);

        using var read = await MasterKey.ReadFileAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(original.KeyId, read.KeyId);
    }

    [Fact]
    public async Task WriteNewFileAsync_refuses_to_overwrite_an_existing_file_and_leaves_it_untouched()
    {
        string path = PathFor("master.key");
        await File.WriteAllTextAsync(path, "the old key\n", TestContext.Current.CancellationToken);
        using var key = MasterKey.Generate();

        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => key.WriteNewFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.AlreadyExists, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal("the old key\n", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WriteNewFileAsync_refuses_to_overwrite_another_key_file()
    {
        string path = PathFor("master.key");
        using var first = MasterKey.Generate();
        using var second = MasterKey.Generate();
        await first.WriteNewFileAsync(path, TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => second.WriteNewFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.AlreadyExists, e.Code);
        using var read = await MasterKey.ReadFileAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(first.KeyId, read.KeyId);
    }

    [Fact]
    public async Task WriteNewFileAsync_reports_a_missing_directory_as_an_environment_error()
    {
        string path = PathFor(Path.Combine("no-such-directory", "master.key"));
        using var key = MasterKey.Generate();

        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => key.WriteNewFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.EnvironmentError, e.Code);
        Assert.DoesNotContain(key.ToBase64(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFileAsync_reports_a_missing_file_as_a_missing_master_key()
    {
        string path = PathFor("absent.key");

        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => MasterKey.ReadFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.MasterKeyMissing, e.Code);
        Assert.Equal(
            $"no master key: the key file {path} does not exist; restore it from your backup (or point --key-file at it) or set PGROTATE_MASTER_KEY. "
            + "A new key cannot open this store, so 'pgrotate init' is no way out",
            e.Message);
    }

    [Theory]
    [InlineData("not a key\n")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n")] // 31 bytes
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n")] // 33 bytes
    [InlineData("")]
    public async Task ReadFileAsync_refuses_a_file_that_does_not_hold_a_key_naming_the_path(string content)
    {
        string path = PathFor("garbage.key");
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => MasterKey.ReadFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        if (content.Trim().Length > 0)
        {
            Assert.DoesNotContain(content.Trim(), e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ReadFileAsync_refuses_an_oversized_file()
    {
        string path = PathFor("huge.key");
        using var key = MasterKey.Generate();
        await File.WriteAllTextAsync(path, key.ToBase64() + new string(' ', 10_000), TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => MasterKey.ReadFileAsync(path, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
    }

    [Fact]
    public async Task ReadFileAsync_refuses_a_directory_naming_the_path()
    {
        var e = await Assert.ThrowsAsync<PgRotateException>(
            () => MasterKey.ReadFileAsync(_directory.FullName, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
        Assert.Contains(_directory.FullName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_key_can_no_longer_be_used()
    {
        var key = MasterKey.Generate();
        string id = key.KeyId;

        key.Dispose();
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Bytes.Length);
        Assert.Throws<ObjectDisposedException>(key.ToBase64);
        Assert.Equal(id, key.KeyId);
    }
}
