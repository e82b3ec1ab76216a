import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.Date;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * JSSE client for the mock receiver's interop tests: one JVM runs a batch of cases.
 *
 * Reads cases from stdin, one per line, tab-separated:
 *   name, host, port, validation time (epoch ms), trusted PEM files (comma-separated, may be
 *   empty), and optionally a client key (PKCS#8 DER) and its chain (PEM, leaf first)
 * and prints one line per case: "name<TAB>OK<TAB>status line" or "name<TAB>FAIL<TAB>exception".
 * Trust is PKIX at the given time, with HTTPS endpoint identification, as CPI's HTTP adapter.
 * The client key goes into a SunX509 key manager, which picks a key pair whose chain fits the
 * CA names of the server's CertificateRequest, and sends none when nothing fits.
 */
public final class ReceiverProbe {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            String result;
            try {
                String key = f.length > 5 ? f[5] : "";
                String chain = f.length > 6 ? f[6] : "";
                result = "OK\t" + probe(f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), f[4], key, chain);
            } catch (Exception e) {
                Throwable root = e;
                StringBuilder text = new StringBuilder(e.toString());
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                    text.append(" | ").append(root);
                }
                result = "FAIL\t" + text.toString().replace('\n', ' ').replace('\t', ' ');
            }
            System.out.println(f[0] + "\t" + result);
            System.out.flush();
        }
    }

    private static String probe(String host, int port, long at, String trusted, String key,
            String chain) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        int n = 0;
        for (String file : trusted.split(",")) {
            if (file.isEmpty()) continue;
            try (InputStream stream = new FileInputStream(file)) {
                for (var cert : factory.generateCertificates(stream)) {
                    store.setCertificateEntry("trusted-" + (n++), (X509Certificate) cert);
                }
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        PKIXBuilderParameters params;
        try {
            params = new PKIXBuilderParameters(store, new X509CertSelector());
        } catch (java.security.InvalidAlgorithmParameterException e) {
            // The JDK's own message for an empty trust store.
            throw e;
        }
        params.setRevocationEnabled(false);
        params.setDate(new Date(at));
        tmf.init(new CertPathTrustManagerParameters(params));
        javax.net.ssl.KeyManager[] keyManagers = null;
        if (!key.isEmpty()) {
            byte[] der = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(key));
            java.security.PrivateKey privateKey;
            try {
                privateKey = java.security.KeyFactory.getInstance("EC")
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
            } catch (java.security.spec.InvalidKeySpecException e) {
                privateKey = java.security.KeyFactory.getInstance("RSA")
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
            }
            java.util.List<java.security.cert.Certificate> certs = new java.util.ArrayList<>();
            try (InputStream stream = new FileInputStream(chain)) {
                certs.addAll(factory.generateCertificates(stream));
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = "probe".toCharArray();
            keys.setKeyEntry("client", privateKey, password,
                    certs.toArray(new java.security.cert.Certificate[0]));
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("SunX509");
            kmf.init(keys, password);
            keyManagers = kmf.getKeyManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(5000);
            SSLParameters ssl = socket.getSSLParameters();
            ssl.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(ssl);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("GET /java HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader reader = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            return reader.readLine();
        }
    }
}
