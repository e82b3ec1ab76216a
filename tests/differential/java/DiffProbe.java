// The JSSE side of tests/differential: CPI's connectivity test as JDK 17 runs it, one JVM for
// a batch of generated worlds.
//
// Reads worlds from the file named by args[0], one per line, tab-separated:
//   id host port validate(1|0) client(off|auto|alias=NAME) keystore storeType storePassword timeoutMs
//   keyManagerAlgorithm(PKIX|SunX509)
// The keystore holds the world's trusted certificates and key pairs, as a tenant keystore
// does: the trust manager is PKIX over it (or trusts everything with validation off); the key
// manager is Java's key manager of the given algorithm over it (automatic), or sends the
// named alias whenever asked (alias). TCP goes to 127.0.0.1; the host names the receiver for SNI and HTTPS
// endpoint identification, as it would after a DNS answer of 127.0.0.1.
// Prints one JSON line per world:
//   {"id":..,"ok":bool,"protocol":..,"connected":bool,"requested":bool,"used":bool,
//    "status":N|null,"text":..,"chain":..,"receiver_saw":bool|null}
// connected = false: the run failed before connecting (e.g. SunX509's KeyManagerFactory.init
// on a key that does not unlock with the store password).
// text = the exception's toString(); chain = every toString() of the cause chain joined by
// " | Caused by: ".

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.X509Certificate;
import java.util.*;
import javax.net.ssl.*;

public class DiffProbe {
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            Recorder rec = new Recorder();
            StringBuilder out = new StringBuilder("{\"id\":").append(json(f[0]));
            try {
                String[] r = run(f, rec);
                out.append(",\"ok\":true,\"protocol\":").append(json(r[0]))
                    .append(",\"status\":").append(r[1]).append(",\"text\":\"\",\"chain\":\"\"")
                    .append(",\"receiver_saw\":").append(r[2]);
            } catch (Throwable e) {
                out.append(",\"ok\":false,\"protocol\":null,\"status\":null,\"text\":")
                    .append(json(e.toString())).append(",\"chain\":").append(json(chain(e)));
            }
            out.append(",\"connected\":").append(rec.connecting)
                .append(",\"requested\":").append(rec.requested)
                .append(",\"used\":").append(rec.used).append("}");
            System.out.println(out);
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

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String[] run(String[] f, Recorder rec) throws Exception {
        String host = f[1];
        int port = Integer.parseInt(f[2]);
        boolean validate = f[3].equals("1");
        String client = f[4];
        char[] pw = f[7].toCharArray();
        int timeout = Integer.parseInt(f[8]);

        KeyStore ks = KeyStore.getInstance(f[6]);
        try (InputStream in = new FileInputStream(f[5])) {
            ks.load(in, pw);
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
        X509KeyManager inner = null;
        if (client.equals("auto")) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(f[9]);
            kmf.init(ks, pw);
            inner = (X509KeyManager) kmf.getKeyManagers()[0];
        }
        String fixed = client.startsWith("alias=") ? client.substring(6) : null;
        KeyManager[] kms = new KeyManager[] { new RecordingKeyManager(inner, fixed, ks, pw, rec) };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tms, null);

        Socket tcp = new Socket();
        rec.connecting = true;
        tcp.connect(new InetSocketAddress("127.0.0.1", port), timeout);
        tcp.setSoTimeout(timeout);
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(tcp, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        if (validate) params.setEndpointIdentificationAlgorithm("HTTPS");
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
            String code = "null";
            if (status != null && status.startsWith("HTTP/1.")) code = status.split(" ")[1];
            else if (status == null) throw new EOFException("no HTTP answer");
            // `s_server -www` says whether it received a client certificate.
            String seen = "null";
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                if (l.contains("no client certificate available")) seen = "false";
                else if (l.startsWith("Client certificate")) seen = "true";
            }
            return new String[] { protocol, code, seen };
        } finally {
            ssl.close();
        }
    }

    static class Recorder {
        // false: the failure came before any connection (keystore, key manager set-up).
        boolean connecting;
        boolean requested;
        boolean used;
        // The key manager's last answers, to tell whether JSSE could make a possession of
        // them (X509Authentication.createClientPossession: an alias, its private key, a
        // non-empty chain, the key's algorithm the requested type).
        String alias;
        String[] types;
        PrivateKey key;
    }

    // Records whether the server asked (chooseClientAlias is called only on a
    // CertificateRequest) and whether JSSE could send a key pair: the alias chosen, then its
    // private key and chain as JSSE fetches them (an alias whose key does not unlock with
    // the store password is chosen by Java's key managers but sends nothing). A fixed alias
    // is sent whenever asked, from the keystore itself (its key unlocked with the store
    // password, as CPI does); automatic is Java's key manager of the given algorithm.
    static class RecordingKeyManager extends X509ExtendedKeyManager {
        final X509KeyManager inner;
        final String fixed;
        final KeyStore ks;
        final char[] pw;
        final Recorder rec;

        RecordingKeyManager(X509KeyManager inner, String fixed, KeyStore ks, char[] pw, Recorder rec) {
            this.inner = inner;
            this.fixed = fixed;
            this.ks = ks;
            this.pw = pw;
            this.rec = rec;
        }

        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            rec.requested = true;
            String alias = null;
            if (fixed != null) {
                alias = fixed;
            } else if (inner != null) {
                alias = inner.chooseClientAlias(keyType, issuers, socket);
            }
            rec.alias = alias;
            rec.types = keyType;
            rec.key = null;
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
            X509Certificate[] chain = chainOf(alias);
            if (chain != null && chain.length > 0 && rec.key != null && alias.equals(rec.alias)
                    && rec.types != null
                    && Arrays.asList(rec.types).contains(rec.key.getAlgorithm())
                    && chain[0].getPublicKey().getAlgorithm().equals(rec.key.getAlgorithm())) {
                rec.used = true;
            }
            return chain;
        }

        X509Certificate[] chainOf(String alias) {
            if (fixed != null && fixed.equals(alias)) {
                try {
                    java.security.cert.Certificate[] c = ks.getCertificateChain(alias);
                    if (c == null) return null;
                    X509Certificate[] x = new X509Certificate[c.length];
                    for (int i = 0; i < c.length; i++) x[i] = (X509Certificate) c[i];
                    return x;
                } catch (Exception e) {
                    return null;
                }
            }
            return inner == null ? null : inner.getCertificateChain(alias);
        }

        public PrivateKey getPrivateKey(String alias) {
            PrivateKey key = null;
            if (fixed != null && fixed.equals(alias)) {
                try {
                    key = (PrivateKey) ks.getKey(alias, pw);
                } catch (Exception e) {
                    key = null;
                }
            } else if (inner != null) {
                key = inner.getPrivateKey(alias);
            }
            if (alias != null && alias.equals(rec.alias)) rec.key = key;
            return key;
        }
    }
}
