package org.dapstream.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package layering, enforced: pure cores, adapters around them (docs/ARCHITECTURE.md, "Packages"). */
class LayeringTest {
    private static final String[] FRAMEWORKS = {
            "io.quarkus..", "io.vertx..", "io.netty..", "jakarta..", "javax.enterprise..", "io.smallrye..", "org.jboss.."};

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        // Test classes are excluded by location; the build directory may be moved (dap.build.dir).
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("/test-classes/"))
                .importPackages("org.dapstream");
    }

    @Test
    void protocolUsesOnlyTheJdk() {
        classes().that().resideInAPackage("org.dapstream.protocol..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.dapstream.protocol..", "java..")
                .because("the wire codec is pure: bytes in, typed values out")
                .check(main);
    }

    @Test
    void cryptoUsesOnlyTheJdkAndBouncyCastle() {
        classes().that().resideInAPackage("org.dapstream.crypto..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", "javax.crypto..", "org.bouncycastle..", "org.dapstream.crypto..", "org.dapstream.protocol..")
                .because("crypto is pure: JDK (JCE for the bulk AEAD) and Bouncy Castle's lightweight API only")
                .check(main);
    }

    @Test
    void cryptoRegistersNoJcaProvider() {
        noClasses().that().resideInAPackage("org.dapstream.crypto..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bouncycastle.jcajce..", "org.bouncycastle.jce..")
                .orShould().callMethod(java.security.Security.class, "addProvider", java.security.Provider.class)
                .orShould().callMethod(java.security.Security.class, "insertProviderAt", java.security.Provider.class, int.class)
                .because("Bouncy Castle is used through its lightweight API: no provider registration, native-image friendly")
                .check(main);
    }

    @Test
    void compressUsesOnlyTheJdkAndLz4() {
        classes().that().resideInAPackage("org.dapstream.compress..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "net.jpountz..", "org.dapstream.compress..")
                .because("compression is pure: bytes in, bytes out, JDK and lz4-java only")
                .check(main);
    }

    @Test
    void admissionCapsUseOnlyTheJdk() {
        classes().that().resideInAPackage("org.dapstream.admission..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.dapstream.admission..", "java..")
                .because("the caps are plain policy: the engine counts refusals by them, every transport admits through them")
                .check(main);
    }

    @Test
    void fileTransfersUseOnlyTheEngineAndTheJdk() {
        classes().that().resideInAPackage("org.dapstream.files..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.dapstream.files..", "org.dapstream.stream..",
                        "org.dapstream.protocol..", "java..")
                .because("FILE channels are a built-in service on the public channel API, shipped in the client artifact too")
                .check(main);
    }

    @Test
    void streamEngineKnowsNoFrameworkOrSocket() {
        noClasses().that().resideInAPackage("org.dapstream.stream..")
                .should().dependOnClassesThat().resideInAnyPackage(FRAMEWORKS)
                .because("the engine runs over any StreamTransport, so it is tested without sockets")
                .check(main);
    }

    @Test
    void clientAndTransportStayOffQuarkus() {
        noClasses().that().resideInAnyPackage("org.dapstream.client..", "org.dapstream.transport..", "org.dapstream.bench..", "org.dapstream.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("io.quarkus..", "jakarta..", "io.smallrye..")
                .because("the client SDK, the load generator and the command-line tools run in any JVM application")
                .check(main);
    }

    @Test
    void clusterStaysOffQuarkusAndOnlyItsKubernetesPartKnowsTheApi() {
        noClasses().that().resideInAPackage("org.dapstream.cluster..")
                .should().dependOnClassesThat().resideInAnyPackage("io.quarkus..", "jakarta..", "io.smallrye..")
                .because("the node cluster runs from plain Java (tests start several nodes in one JVM); ops wires it into Quarkus")
                .check(main);
        noClasses().that().resideOutsideOfPackages("org.dapstream.cluster.kubernetes..", "org.dapstream.ops..")
                .should().dependOnClassesThat().resideInAPackage("io.fabric8..")
                .because("only Kubernetes discovery talks to the API server; the rest of the cluster does not know it exists")
                .check(main);
    }

    @Test
    void metricsStayInTheShell() {
        noClasses().that().resideOutsideOfPackage("org.dapstream.ops..")
                .should().dependOnClassesThat().resideInAnyPackage("io.micrometer..", "org.eclipse.microprofile.health..")
                .because("the engine's counters are plain Java; Micrometer and health bind them in ops")
                .check(main);
    }

    @Test
    void onlyTheAppLayerDependsOnQuarkusWiring() {
        noClasses().that().resideOutsideOfPackages("org.dapstream.ops..", "org.dapstream")
                .should().dependOnClassesThat().resideInAPackage("org.dapstream.ops..")
                .because("ops is the Quarkus shell around the engine, never a dependency of it")
                .check(main);
    }
}
