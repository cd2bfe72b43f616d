package org.dapstream.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The client artifact ({@code client/pom.xml}) compiles a subset of these sources against Vert.x
 * core, Bouncy Castle and lz4-java only. This keeps it buildable and in step with the service:
 * the packages it compiles depend on nothing else, its versions are the service's, and so are
 * the examples' (examples/). ExamplesIT builds it.
 */
class ClientArtifactTest {
    private static final Path ROOT_POM = Path.of("pom.xml");
    private static final Path CLIENT_POM = Path.of("client", "pom.xml");
    /** What the client artifact has on its class path: the JDK, its three dependencies (Vert.x core brings Netty) and itself. */
    private static final String[] CLIENT_CLASSPATH = {
            "java..", "javax.crypto..", "javax.security.auth..", "io.vertx.core..", "io.netty..", "org.bouncycastle..", "net.jpountz.."};

    @Test
    void theClientArtifactsPackagesNeedOnlyItsDependencies() throws Exception {
        List<String> packages = new ArrayList<>();
        NodeList includes = parse(CLIENT_POM).getElementsByTagName("include");
        for (int i = 0; i < includes.getLength(); i++) {
            String include = includes.item(i).getTextContent().trim();
            assertTrue(include.startsWith("org/dapstream/") && include.endsWith("/**"), "a whole package: " + include);
            packages.add(include.substring(0, include.length() - "/**".length()).replace('/', '.'));
        }
        assertFalse(packages.isEmpty(), "client/pom.xml names the packages it compiles");
        JavaClasses main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("/test-classes/"))
                .importPackages(packages);
        List<String> allowed = new ArrayList<>(List.of(CLIENT_CLASSPATH));
        packages.forEach(p -> allowed.add(p + ".."));
        classes().that().resideInAnyPackage(packages.stream().map(p -> p + "..").toArray(String[]::new))
                .should().onlyDependOnClassesThat().resideInAnyPackage(allowed.toArray(String[]::new))
                .because("client/pom.xml compiles these packages with Vert.x core, Bouncy Castle and lz4-java alone")
                .check(main);
    }

    @Test
    void theClientArtifactHasTheServicesVersions() throws Exception {
        Document root = parse(ROOT_POM);
        Document client = parse(CLIENT_POM);
        assertEquals(projectVersion(root), projectVersion(client), "client/pom.xml <version>");
        assertEquals(property(root, "bouncycastle.version"), property(client, "bouncycastle.version"));
        assertEquals(property(root, "lz4.version"), property(client, "lz4.version"));
        assertEquals(vertxVersionOfTheService(), property(client, "vertx.version"),
                "client/pom.xml vertx.version: the Vert.x core the Quarkus platform gives the service");
    }

    @Test
    void theExamplesBuildAgainstThisVersion() throws Exception {
        Document root = parse(ROOT_POM);
        for (String example : List.of("plain-client", "cluster-pubsub", "channel-service")) {
            Document pom = parse(Path.of("examples", example, "pom.xml"));
            assertEquals(projectVersion(root), property(pom, "dap-stream.version"), example + " dap-stream.version");
        }
        Document service = parse(Path.of("examples", "channel-service", "pom.xml"));
        for (String key : List.of("quarkus.platform.version", "bouncycastle.version", "lz4.version")) {
            assertEquals(property(root, key), property(service, key), "examples/channel-service " + key);
        }
    }

    private static String vertxVersionOfTheService() throws Exception {
        try (InputStream in = Vertx.class.getResourceAsStream("/META-INF/maven/io.vertx/vertx-core/pom.properties")) {
            assertNotNull(in, "vertx-core's Maven metadata on the class path");
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        }
    }

    private static Document parse(Path pom) throws Exception {
        assertTrue(Files.isRegularFile(pom), pom + " exists");
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static String projectVersion(Document pom) {
        NodeList children = pom.getDocumentElement().getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getTagName().equals("version")) {
                return e.getTextContent().trim();
            }
        }
        throw new AssertionError("no project <version>");
    }

    private static String property(Document pom, String name) {
        NodeList found = pom.getElementsByTagName(name);
        assertEquals(1, found.getLength(), "one <" + name + "> property");
        return found.item(0).getTextContent().trim();
    }
}
