import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.X509Certificate;
import java.util.*;
import javax.net.ssl.*;

/**
 * Which alias JDK's key managers choose, and whether a client certificate is used.
 *
 * Input file, one case a line, tab-separated: id, keystore, store password, key manager
 * algorithm (PKIX / SunX509), port, protocol (TLSv1.2 / TLSv1.3). Output, one line a case:
 * id, chosen alias ("-" for none), used (YES / NO), result ("ok", "init-failed ..." or the
 * exception). Server certificates are not validated (the key manager is under test).
 */
public class KeyManagerProbe {
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            System.out.println(f[0] + "\t" + probe(f[1], f[2], f[3], Integer.parseInt(f[4]), f[5]));
            System.out.flush();
        }
    }

    static String probe(String store, String pass, String algorithm, int port, String protocol) {
        X509ExtendedKeyManager km;
        try {
            KeyStore ks = KeyStore.getInstance(new File(store), pass.toCharArray());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(algorithm);
            kmf.init(ks, pass.toCharArray());
            km = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
        } catch (Exception e) {
            return "-\tNO\tinit-failed " + e.getClass().getName();
        }
        Recording rec = new Recording(km);
        String result;
        boolean used = false;
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {rec}, new TrustManager[] {new TrustAll()}, null);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 10000);
                s.setSoTimeout(10000);
                s.setEnabledProtocols(new String[] {protocol});
                s.startHandshake();
                used = s.getSession().getLocalCertificates() != null;
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.0\r\n\r\n".getBytes());
                out.flush();
                s.getInputStream().read();
                result = "ok";
            }
        } catch (Exception e) {
            result = e.getClass().getName();
        }
        return (rec.chosen == null ? "-" : rec.chosen) + "\t" + (used ? "YES" : "NO") + "\t" + result;
    }

    static final class Recording extends X509ExtendedKeyManager {
        final X509ExtendedKeyManager inner;
        volatile String chosen;

        Recording(X509ExtendedKeyManager inner) { this.inner = inner; }

        public String chooseClientAlias(String[] types, Principal[] issuers, Socket socket) {
            chosen = inner.chooseClientAlias(types, issuers, socket);
            return chosen;
        }
        public String chooseEngineClientAlias(String[] types, Principal[] issuers, SSLEngine engine) {
            chosen = inner.chooseEngineClientAlias(types, issuers, engine);
            return chosen;
        }
        public String[] getClientAliases(String t, Principal[] i) { return inner.getClientAliases(t, i); }
        public String[] getServerAliases(String t, Principal[] i) { return inner.getServerAliases(t, i); }
        public String chooseServerAlias(String t, Principal[] i, Socket s) { return inner.chooseServerAlias(t, i, s); }
        public X509Certificate[] getCertificateChain(String a) { return inner.getCertificateChain(a); }
        public PrivateKey getPrivateKey(String a) { return inner.getPrivateKey(a); }
    }

    static final class TrustAll extends X509ExtendedTrustManager {
        public void checkClientTrusted(X509Certificate[] c, String a) {}
        public void checkServerTrusted(X509Certificate[] c, String a) {}
        public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}
        public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}
        public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}
        public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
