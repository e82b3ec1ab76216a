// Known-answer vectors for PBEWithMD5AndTripleDES from the JDK itself (SunJCE), including the
// equal-salt-halves case. Run: java PbeVectors.java > pbe-vectors.txt (JDK 11+ source mode).
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;

public class PbeVectors {
    public static void main(String[] args) throws Exception {
        byte[] plain = "PKCS#8 stand-in: 32 bytes long!!".getBytes("US-ASCII");
        String[][] cases = {
            {"changeit", "abcdefgh", "1000"},
            {"changeit", "abcdabcd", "1000"},
            {"p@ss word", "\u0001\u0002\u0003\u0004\u0001\u0002\u0003\u0004", "200000"},
        };
        for (String[] c : cases) {
            byte[] salt = c[1].getBytes("ISO-8859-1");
            int iterations = Integer.parseInt(c[2]);
            SecretKeyFactory factory = SecretKeyFactory.getInstance("PBEWithMD5AndTripleDES");
            Cipher cipher = Cipher.getInstance("PBEWithMD5AndTripleDES");
            cipher.init(Cipher.ENCRYPT_MODE,
                factory.generateSecret(new PBEKeySpec(c[0].toCharArray())),
                new PBEParameterSpec(salt, iterations));
            System.out.println(c[0] + "\t" + hex(salt) + "\t" + iterations + "\t"
                + hex(cipher.doFinal(plain)));
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) out.append(String.format("%02x", b));
        return out.toString();
    }
}
