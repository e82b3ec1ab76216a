#!/bin/sh
# Regenerates the keytool-made fixtures of this folder (see README.md). Existing files are left
# alone unless the first argument is --force. Needs keytool (JDK 17) and openssl 3.
set -eu
cd "$(dirname "$0")"
if [ "${1:-}" != "--force" ] && [ -e ec.jceks ]; then
    echo "fixtures exist; pass --force to replace them" >&2
    exit 0
fi
rm -f ec.jceks ec.jks ec.key.pem ec.cert.pem scratch.p12 pbe-vectors.txt
keytool -genkeypair -storetype jceks -keystore ec.jceks -storepass changeit -keypass changeit \
    -alias Fixture -keyalg EC -groupname secp256r1 -dname "CN=keytool fixture, O=Harness" \
    -validity 3650 -noprompt
keytool -genseckey -storetype jceks -keystore ec.jceks -storepass changeit -keypass changeit \
    -alias aes -keyalg AES -keysize 128
keytool -genseckey -storetype jceks -keystore ec.jceks -storepass changeit -keypass changeit \
    -alias desede -keyalg DESede
keytool -importkeystore -srcstoretype jceks -srckeystore ec.jceks -srcstorepass changeit \
    -srcalias fixture -deststoretype jks -destkeystore ec.jks -deststorepass changeit -noprompt
keytool -importkeystore -srcstoretype jceks -srckeystore ec.jceks -srcstorepass changeit \
    -deststoretype pkcs12 -destkeystore scratch.p12 -deststorepass changeit -noprompt
openssl pkcs12 -in scratch.p12 -passin pass:changeit -nodes -nocerts \
    | openssl pkey -out ec.key.pem
keytool -exportcert -rfc -storetype jks -keystore ec.jks -storepass changeit -alias fixture \
    -file ec.cert.pem
rm -f scratch.p12
java PbeVectors.java > pbe-vectors.txt
