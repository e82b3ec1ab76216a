// Runs JDK 17's own server-certificate validation over many cases in one JVM: the PKIX
// validator of JSSE's trust manager (sun.security.validator, variant "tls server", with
// JSSE's default SSL algorithm constraints) at a given date, then HTTPS endpoint
// identification (sun.security.util.HostnameChecker). With mode `unvalidated`, what JSSE's
// trust manager wrapper still checks for a trust-all manager (algorithm constraints).
//
// Input: one case per line, tab-separated: id, trusted PEM file, chain PEM file, host, epoch
// seconds, authType (RSA, ECDHE_RSA, DHE_RSA, UNKNOWN ...), mode (validate|unvalidated).
// Output: id TAB OK | id TAB FAIL TAB the message CPI shows (SSLHandshakeException's
// toString()).

import java.io.*;
import java.lang.reflect.Field;
import java.nio.file.*;
import java.security.AlgorithmConstraints;
import java.security.KeyStore;
import java.security.cert.*;
import java.util.*;

public class PkixProbe {
    static List<X509Certificate> load(String path) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(new FileInputStream(path))) {
            for (Certificate c : cf.generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
        }
        return out;
    }

    static AlgorithmConstraints sslConstraints() {
        try {
            Class<?> c = Class.forName("sun.security.ssl.SSLAlgorithmConstraints");
            Field f = c.getDeclaredField("DEFAULT");
            f.setAccessible(true);
            return (AlgorithmConstraints) f.get(null);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    public static void main(String[] args) throws Exception {
        AlgorithmConstraints constraints = sslConstraints();
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t", -1);
            String id = f[0];
            try {
                List<X509Certificate> chain;
                try {
                    chain = load(f[2]);
                } catch (CertificateException ce) {
                    // JSSE's CertificateMessage: the server's certificates do not parse.
                    throw new CertificateException("Failed to parse server certificates", ce);
                }
                X509Certificate[] arr = chain.toArray(new X509Certificate[0]);
                if (f[6].equals("unvalidated")) {
                    try {
                        sun.security.provider.certpath.AlgorithmChecker checker =
                            new sun.security.provider.certpath.AlgorithmChecker(
                                constraints, sun.security.validator.Validator.VAR_TLS_SERVER);
                        checker.init(false);
                        for (int i = arr.length - 1; i >= 0; i--) {
                            checker.check(arr[i], Collections.<String>emptySet());
                        }
                    } catch (CertPathValidatorException e) {
                        throw new CertificateException(
                            "Certificates do not conform to algorithm constraints", e);
                    }
                } else {
                    KeyStore ks = KeyStore.getInstance("PKCS12");
                    ks.load(null, null);
                    int i = 0;
                    List<X509Certificate> anchors;
                    try {
                        anchors = load(f[1]);
                    } catch (CertificateException ce) {
                        // No keystore could hold it: no CPI tenant has this trust store.
                        System.out.println(id + "\tTRUST-UNLOADABLE");
                        continue;
                    }
                    for (X509Certificate t : anchors) {
                        ks.setCertificateEntry("t" + (i++), t);
                    }
                    sun.security.validator.Validator v = sun.security.validator.Validator.getInstance(
                        sun.security.validator.Validator.TYPE_PKIX,
                        sun.security.validator.Validator.VAR_TLS_SERVER, ks);
                    ((sun.security.validator.PKIXValidator) v).getParameters()
                        .setDate(new Date(Long.parseLong(f[4]) * 1000L));
                    X509Certificate[] trusted = v.validate(arr, null, Collections.<byte[]>emptyList(), constraints, f[5]);
                    sun.security.util.HostnameChecker.getInstance(
                        sun.security.util.HostnameChecker.TYPE_TLS).match(f[3], trusted[0]);
                }
                System.out.println(id + "\tOK");
            } catch (CertificateException e) {
                String text = "javax.net.ssl.SSLHandshakeException: " + e.getMessage();
                System.out.println(id + "\tFAIL\t" + text.replace('\n', ' ').replace('\t', ' '));
            } catch (Exception e) {
                System.out.println(id + "\tFAIL\t" + e.toString().replace('\n', ' ').replace('\t', ' '));
            }
        }
    }
}
