using AkkaBroker.Protocol.Tls;
using Xunit;

namespace AkkaBroker.Tests.Tls;

/// <summary>Certificates from the files an operator has, and the check that a peer's certificate comes from the cluster's authority.</summary>
public class TlsFilesTests
{
    [Fact]
    public void Pem_and_pkcs12_certificates_load_with_their_keys_and_chain_to_their_authority_only()
    {
        using var ours = new TestCertificates("ours");
        using var theirs = new TestCertificates("theirs");
        var (pem, key) = ours.IssuePem("broker-1");
        using var fromPem = TlsFiles.LoadCertificate(pem, "", key, "keystore.location");
        using var fromP12 = TlsFiles.LoadCertificate(ours.IssuePkcs12("broker-2", "secret"), "secret", "", "keystore.location");
        Assert.True(fromPem.HasPrivateKey && fromP12.HasPrivateKey);

        var authorities = TlsFiles.LoadAuthorities(ours.CaPem, "truststore.location");
        Assert.Null(TlsFiles.ChainProblem(fromPem, authorities));
        Assert.Null(TlsFiles.ChainProblem(fromP12, authorities));
        var (otherPem, otherKey) = theirs.IssuePem("intruder");
        using var intruder = TlsFiles.LoadCertificate(otherPem, "", otherKey, "keystore.location");
        Assert.Contains("CN=intruder", TlsFiles.ChainProblem(intruder, authorities));
        Assert.Equal("the peer presented no certificate", TlsFiles.ChainProblem(null, authorities));
    }

    [Fact]
    public void A_full_chain_pem_gives_its_intermediates_and_a_single_certificate_none()
    {
        using var ours = new TestCertificates("ours");
        var (fullChain, key) = ours.IssuePemThroughIntermediate("broker");
        using var leaf = TlsFiles.LoadCertificate(fullChain, "", key, "keystore.location");

        var chain = TlsFiles.LoadChain(fullChain, "", leaf, "keystore.location");

        Assert.Equal("CN=broker", leaf.Subject);
        Assert.Equal("CN=broker-intermediate", Assert.Single(chain).Subject);
        var (single, singleKey) = ours.IssuePem("alone");
        using var alone = TlsFiles.LoadCertificate(single, "", singleKey, "keystore.location");
        Assert.Empty(TlsFiles.LoadChain(single, "", alone, "keystore.location"));
    }

    [Fact]
    public void Unusable_files_are_refused_naming_the_setting_and_the_file()
    {
        using var ours = new TestCertificates();
        var missing = Assert.Throws<TlsFileException>(() => TlsFiles.LoadCertificate("/nonexistent/broker.p12", "", "", "ssl.keystore.location"));
        Assert.Contains("ssl.keystore.location = '/nonexistent/broker.p12': no such file", missing.Message);
        var wrongPassword = Assert.Throws<TlsFileException>(() => TlsFiles.LoadCertificate(ours.IssuePkcs12("b", "right"), "wrong", "", "ssl.keystore.location"));
        Assert.Contains("could not be read", wrongPassword.Message);
        // A certificate without its key (the CA's public certificate given as a keystore).
        var keyless = Assert.Throws<TlsFileException>(() => TlsFiles.LoadCertificate(ours.CaPem, "", "", "ssl.keystore.location"));
        Assert.Contains("ssl.keystore.location", keyless.Message);
        var notPem = Path.Combine(ours.Directory, "empty.pem");
        File.WriteAllText(notPem, "no certificates here\n");
        Assert.Contains("holds no PEM certificate", Assert.Throws<TlsFileException>(() => TlsFiles.LoadAuthorities(notPem, "ssl.ca.location")).Message);
    }
}
