#!/usr/bin/env bash
# The article's loop by hand, with openssl and keytool: what `scenarios run --filter
# article-end-to-end` does, as a person would script it. Used as the baseline of the suite
# benchmark (README, "Benchmarks"):
#
#   time bash scenarios/bench/article.sh            # one run of the loop
#   time cargo run --release -p scenarios -- run --filter article-end-to-end
#
# Steps: receiver PKI (root -> intermediate -> server) and tenant PKI (root -> intermediate ->
# client) with openssl; KeyStore Explorer's step with keytool (new JCEKS, import the receiver
# root as trusted certificate, import the client key pair with its chain); the tenant's .p7b
# export; an HTTPS receiver (openssl s_server) trusting the client root and requiring a
# client certificate; the connectivity test with openssl s_client (validate the server, send
# the client certificate). Exits non-zero when any step fails. Needs openssl and keytool.
set -euo pipefail
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
pw=Tenant-Keystore-1
q() { "$@" >/dev/null 2>&1; }

ca() { # name subject [issuer]
  q openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
  if [ $# -eq 2 ]; then
    q openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -out "$1.pem" \
      -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
  else
    q openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$1.ext"
    q openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.pem"
  fi
}
leaf() { # name subject issuer eku san
  q openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
  q openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s' "$4" "$5" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 365 \
    -extfile "$1.ext" -out "$1.pem"
}

# 1. Receiver PKI and tenant PKI.
ca receiver-root "/O=Receiver/CN=Receiver Root CA"
ca receiver-int "/O=Receiver/CN=Receiver Intermediate CA" receiver-root
leaf server "/O=Receiver/CN=localhost" receiver-int serverAuth "subjectAltName=DNS:localhost,IP:127.0.0.1"
ca client-root "/O=Tenant/CN=Tenant Client Root CA"
ca client-int "/O=Tenant/CN=Tenant Client Intermediate CA" client-root
leaf client "/O=Tenant/CN=cpi-tenant-client" client-int clientAuth ""

# 2. KeyStore Explorer: new JCEKS, receiver root as trusted certificate, client key pair.
q keytool -importcert -noprompt -storetype JCEKS -keystore tenant.jks -storepass "$pw" \
  -alias backend_root -file receiver-root.pem
cat client-int.pem client-root.pem > client-cas.pem
q openssl pkcs12 -export -inkey client.key -in client.pem -certfile client-cas.pem \
  -name cpi_client -passout "pass:$pw" -out client.p12
q keytool -importkeystore -noprompt -srckeystore client.p12 -srcstoretype PKCS12 \
  -srcstorepass "$pw" -destkeystore tenant.jks -deststoretype JCEKS -deststorepass "$pw"
keytool -list -storetype JCEKS -keystore tenant.jks -storepass "$pw" 2>/dev/null | grep -q "2 entries"

# 3. Keystore Monitor download: the key pair's chain as .p7b; its root for the receiver.
q keytool -exportcert -rfc -storetype JCEKS -keystore tenant.jks -storepass "$pw" \
  -alias cpi_client -file client-leaf.pem
cat client.pem client-int.pem client-root.pem > client-chain.pem
q openssl crl2pkcs7 -nocrl -certfile client-chain.pem -outform DER -out cpi_client.p7b
openssl pkcs7 -inform DER -in cpi_client.p7b -print_certs | grep -c "subject=" | grep -q 3

# 4. Receiver: leaf + intermediate, trusts the client root, requires a client certificate.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "$port" -cert server.pem -key server.key -cert_chain receiver-int.pem \
  -CAfile client-root.pem -Verify 3 -verify_return_error -www >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  sleep 0.05
done

# 5. Connectivity test: validate the server against the keystore's root, send the client
#    certificate with its chain, and read the answer.
keytool -exportcert -rfc -storetype JCEKS -keystore tenant.jks -storepass "$pw" \
  -alias backend_root -file trusted-root.pem >/dev/null 2>&1
answer=$(printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" \
  -servername localhost -verify_hostname localhost -CAfile trusted-root.pem -verify_return_error \
  -cert client.pem -key client.key -cert_chain client-int.pem -quiet 2>/dev/null || true)
echo "$answer" | grep -q "200 ok" || { echo "connectivity test failed"; exit 1; }
echo "article loop by hand: ok"
