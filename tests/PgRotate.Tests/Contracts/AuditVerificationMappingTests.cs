using PgRotate.Audit;
using PgRotate.Contracts;
using PgRotate.Wire;

namespace PgRotate.Tests.Contracts;

/// <summary><c>audit verify --json</c> writes <see cref="AuditVerificationResult"/>, mapped from the core's verification.</summary>
public sealed class AuditVerificationMappingTests
{
    [Fact]
    public void An_intact_chain_maps_to_intact_with_no_bad_entry()
    {
        var result = new AuditVerification(3, null, null).ToContract();

        Assert.Equal(new AuditVerificationResult(3, null, null, Intact: true), result);
        Assert.Equal("""{"entriesChecked":3,"firstBadSequence":null,"problem":null,"intact":true}""", PgRotateJson.SerializeLine(result));
    }

    [Fact]
    public void A_damaged_chain_maps_to_not_intact_with_the_first_bad_entry_and_why()
    {
        var result = new AuditVerification(4, 5, "its hash does not follow from the entry before it").ToContract();

        Assert.Equal(new AuditVerificationResult(4, 5, "its hash does not follow from the entry before it", Intact: false), result);
    }
}
