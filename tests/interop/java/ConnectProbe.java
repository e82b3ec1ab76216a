// The JSSE side of tests/interop/connect_java.rs: CPI's connectivity test as JDK 17 runs it.
//
// Reads cases from the file named by args[0], one per line, tab-separated:
//   id host port validate(1|0) client(off|auto|alias=NAME) maxVersion timeoutMs trust keys
// trust = comma-separated PEM files of trusted certificates, or "-";
// keys  = comma-separated alias=key.pem:chain.pem (PKCS#8 key, chain leaf first), or "-".
// Prints one line per case, tab-separated:
//   id OK protocol requested used httpStatus
//   id FAIL requested used exception.toString() causeChain
// causeChain = every toString() of the chain, joined by " | Caused by: ".
// One JVM runs the whole batch.

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.*;
import javax.net.ssl.*;

public class ConnectProbe {
    static final char[] PW = "changeit".toCharArray();

    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            Recorder rec = new Recorder();
            String result;
            try {
                result = run(f, rec);
            } catch (Throwable e) {
                result = "FAIL\t" + rec.requested + "\t" + rec.used + "\t" + clean(e.toString())
                    + "\t" + clean(chain(e));
            }
            System.out.println(f[0] + "\t" + result);
            System.out.flush();
        }
    }

    static String chain(Throwable e) {
        StringBuilder out = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            out.append(" | Caused by: ").append(c.toString());
        }
        return out.toString();
    }

    static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    static String run(String[] f, Recorder rec) throws Exception {
        String host = f[1];
        int port = Integer.parseInt(f[2]);
        boolean validate = f[3].equals("1");
        String client = f[4];
        String maxVersion = f[5];
        int timeout = Integer.parseInt(f[6]);

        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        if (!f[7].equals("-")) {
            int i = 0;
            for (String file : f[7].split(",")) {
                try (InputStream in = new FileInputStream(file)) {
                    for (java.security.cert.Certificate c : cf.generateCertificates(in)) {
                        ks.setCertificateEntry("trusted" + (i++), c);
                    }
                }
            }
        }
        if (!f[8].equals("-")) {
            for (String spec : f[8].split(",")) {
                String alias = spec.substring(0, spec.indexOf('='));
                String[] files = spec.substring(spec.indexOf('=') + 1).split(":");
                PrivateKey key = loadKey(files[0]);
                Collection<? extends java.security.cert.Certificate> chain;
                try (InputStream in = new FileInputStream(files[1])) {
                    chain = cf.generateCertificates(in);
                }
                ks.setKeyEntry(alias, key, PW, chain.toArray(new java.security.cert.Certificate[0]));
            }
        }

        TrustManager[] tms;
        if (validate) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            tms = tmf.getTrustManagers();
        } else {
            tms = new TrustManager[] { new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] c, String a) {}
                public void checkServerTrusted(X509Certificate[] c, String a) {}
                public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            } };
        }
        KeyManager[] kms = null;
        if (!client.equals("off")) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(ks, PW);
            X509KeyManager inner = (X509KeyManager) kmf.getKeyManagers()[0];
            String fixed = client.startsWith("alias=") ? client.substring(6) : null;
            kms = new KeyManager[] { new RecordingKeyManager(inner, fixed, rec) };
        } else {
            kms = new KeyManager[] { new RecordingKeyManager(null, null, rec) };
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tms, null);

        Socket tcp = new Socket();
        tcp.connect(new InetSocketAddress(host, port), timeout);
        tcp.setSoTimeout(timeout);
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(tcp, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        if (validate) params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setProtocols(maxVersion.equals("TLSv1.2")
            ? new String[] { "TLSv1.2" } : new String[] { "TLSv1.3", "TLSv1.2" });
        ssl.setSSLParameters(params);
        try {
            ssl.startHandshake();
            String protocol = ssl.getSession().getProtocol();
            OutputStream out = ssl.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(
                new InputStreamReader(ssl.getInputStream(), StandardCharsets.ISO_8859_1));
            String status = in.readLine();
            String code = "-";
            if (status != null && status.startsWith("HTTP/1.")) code = status.split(" ")[1];
            return "OK\t" + protocol + "\t" + rec.requested + "\t" + rec.used + "\t" + code;
        } finally {
            ssl.close();
        }
    }

    static PrivateKey loadKey(String file) throws Exception {
        String pem = new String(Files.readAllBytes(Paths.get(file)), StandardCharsets.US_ASCII);
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(b64);
        for (String alg : new String[] { "EC", "RSA" }) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (Exception ignored) {
            }
        }
        throw new IllegalArgumentException("unsupported key " + file);
    }

    static class Recorder {
        boolean requested;
        boolean used;
    }

    // Records whether the server asked (chooseClientAlias is called only on a
    // CertificateRequest) and whether a key pair was sent; a fixed alias is sent whenever
    // asked, as CPI does with a named alias.
    static class RecordingKeyManager extends X509ExtendedKeyManager {
        final X509KeyManager inner;
        final String fixed;
        final Recorder rec;

        RecordingKeyManager(X509KeyManager inner, String fixed, Recorder rec) {
            this.inner = inner;
            this.fixed = fixed;
            this.rec = rec;
        }

        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            rec.requested = true;
            String alias = null;
            if (inner != null) {
                alias = fixed != null ? fixed : inner.chooseClientAlias(keyType, issuers, socket);
            }
            rec.used = alias != null;
            return alias;
        }

        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
            return chooseClientAlias(keyType, issuers, null);
        }

        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return inner == null ? null : inner.getClientAliases(keyType, issuers);
        }

        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        public X509Certificate[] getCertificateChain(String alias) {
            return inner == null ? null : inner.getCertificateChain(alias);
        }

        public PrivateKey getPrivateKey(String alias) {
            return inner == null ? null : inner.getPrivateKey(alias);
        }
    }
}
