#!/bin/sh
# Certificates for the compose stack's access-control example (docs/security.md), made with openssl:
#   exporter/tls.crt, exporter/tls.key   the exporter's certificate, for the names Prometheus (exporter)
#                                        and you (localhost, 127.0.0.1) reach it by
#   prometheus/ca.crt                    the CA that issued it, which Prometheus trusts
#   ca.key                               the CA's key (not mounted anywhere)
# A demo: run it once before `docker compose -f docker-compose.yml -f docker-compose.web-config.yml up`.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=eocexporter demo CA" \
    -keyout ca.key -out prometheus/ca.crt 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=exporter" \
    -keyout exporter/tls.key -out exporter.csr 2>/dev/null
printf 'subjectAltName=DNS:exporter,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > exporter.ext
openssl x509 -req -in exporter.csr -CA prometheus/ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
    -days 825 -extfile exporter.ext -out exporter/tls.crt 2>/dev/null
rm -f exporter.csr exporter.ext
# The exporter runs as UID 10001, which does not own these files here. For anything but a demo:
# chown 10001 exporter/tls.key && chmod 0400 exporter/tls.key
chmod 0644 exporter/tls.key
echo "made exporter/tls.crt, exporter/tls.key and prometheus/ca.crt"
