#!/bin/sh
# export --redact: generated text holding one of each kind; redact.log
# lists kinds and counts (never values), counted here from what was
# generated; redacted items carry sha256_original and sha256; the
# originals stay untouched in the workspace; IPv4 only by flag.
. "$FB_SRCDIR/tests/lib.sh"
require_prog jq
require_prog python3

fb -w "$WS" init >/dev/null
fbw() { fb -w "$WS" "$@"; }

# One value of each kind, random each run, and the expected log.
python3 - <<'EOF'
import random, string, base64
r = random.SystemRandom()
def s(n, alpha=string.ascii_letters + string.digits):
    return "".join(r.choice(alpha) for _ in range(n))
def luhn_complete(digits):
    total = 0
    for i, d in enumerate(reversed(digits + "0")):
        d = int(d)
        if i % 2 == 1:
            d *= 2
            if d > 9: d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)
card = luhn_complete("4" + "".join(r.choice(string.digits) for _ in range(14)))
bad = card[:-1] + str((int(card[-1]) + 1) % 10)
jwt = ("eyJ" + s(20, string.ascii_letters + string.digits + "_-") + ".eyJ" +
       s(30, string.ascii_letters + string.digits + "_-") + "." + s(43, string.ascii_letters + string.digits + "_-"))
secrets = {
    "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(s(70) for _ in range(5)) + "\n-----END OPENSSH PRIVATE KEY-----",
    "url_password": "postgres://svc:" + s(16) + "@db.internal:5432/prod",
    "jwt": "session=" + jwt,
    "bearer_token": "Authorization: Bearer " + s(32),
    "aws_access_key": "AKIA" + s(16, string.ascii_uppercase + string.digits),
    "aws_secret_key": "aws_secret_access_key = " + s(40, string.ascii_letters + string.digits + "/+"),
    "gcp_api_key": "AIza" + s(35, string.ascii_letters + string.digits + "_-"),
    "azure_key": "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + base64.b64encode(r.randbytes(64)).decode(),
    "github_token": "ghp_" + s(36),
    "huggingface_token": "hf_" + s(34),
    "openai_key": "sk-proj-" + s(48),
    "card_number": "card " + card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:],
    "email": "contact: " + s(8).lower() + "@example.com",
    "ipv4": "peer 198.51.100." + str(r.randint(1, 254)),
}
with open("secrets.txt", "w") as f:
    f.write("log start\n")
    for k, v in secrets.items():
        f.write("%s line: %s end\n" % (k, v))
    f.write("not a card: %s\n" % bad)
with open("values", "w") as f:
    for k, v in secrets.items():
        # the secret part of each line, what must not survive
        part = {"private_key": lambda: v.split("\n")[1],
                "url_password": lambda: v.split(":")[2].split("@")[0],
                "jwt": lambda: jwt, "bearer_token": lambda: v.split()[-1],
                "aws_secret_key": lambda: v.split()[-1],
                "azure_key": lambda: v.split("AccountKey=")[1],
                "card_number": lambda: card[8:12] + " " + card[12:],
                "email": lambda: v.split()[-1],
                "ipv4": lambda: v.split()[-1]}.get(k, lambda: v)()
        f.write("%s %s\n" % (k, part))
open("badcard", "w").write(bad + "\n")
EOF
head -c 4096 /dev/urandom >blob.bin
cat >f.jsonl <<EOF
{"source":"gateway","kind":"anomaly","rule_id":"key-leak","title":"key $(grep ^github_token values | cut -d" " -f2) leaked by ops@example.com","severity":"high","assets":[{"type":"host","value":"gw-1"}]}
EOF
fbw ingest f.jsonl >/dev/null
fbw case new "leak" --from 1 >/dev/null
fbw evidence add --case 1 secrets.txt blob.bin >/dev/null
sleep 1
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)

test_expect_success 'export --redact-ipv4 reports its count' '
	fbw export 1 -o r.tar.gz --as-of "$T" --redact-ipv4 >out &&
	expect_grep "redactions: " out && mkdir x && tar -xzf r.tar.gz -C x &&
	(cd x && sha256sum -c --quiet SHA256SUMS)
'

test_expect_success 'no generated secret survives anywhere in the bundle' '
	while read -r kind value; do
		if grep -rqF -- "$value" x; then echo "$kind survived"; return 1; fi
	done <values
'

test_expect_success 'each kind is replaced by its marker, once' '
	while read -r kind value; do
		expect_eq "$(grep -c "^$kind line: .*\[REDACTED:$kind\]" x/evidence/000001-secrets.txt)" 1 || return 1
	done <values
'

test_expect_success 'a number failing the Luhn check is left alone' '
	grep -qF "not a card: $(cat badcard)" x/evidence/000001-secrets.txt
'

test_expect_success 'redact.log: kinds and counts per file, never values' '
	while read -r kind value; do
		expect_grep "^evidence/000001-secrets.txt $kind 1\$" x/redact.log || return 1
		if grep -qF -- "$value" x/redact.log; then return 1; fi
	done <values &&
	expect_grep "^evidence/000002-blob.bin not_redacted binary\$" x/redact.log &&
	expect_grep "^report.html email [0-9]*$" x/redact.log &&
	expect_grep "^findings.jsonl email [0-9]*$" x/redact.log
'

test_expect_success 'manifest: sha256_original is the original, sha256 the redacted file' '
	expect_eq "$(jq -r ".items[0] | [.redacted, .sha256_original, .sha256] | join(\" \")" x/manifest.json)" \
		"true $(sha256sum <secrets.txt | cut -c1-64) $(sha256sum <x/evidence/000001-secrets.txt | cut -c1-64)" &&
	expect_eq "$(jq -r ".items[1] | [.redacted, .sha256 == .sha256_original] | join(\" \")" x/manifest.json)" "false false" &&
	expect_eq "$(jq -r ".redaction.counts.email" x/manifest.json)" \
		"$(awk "\$2 == \"email\" { n += \$3 } END { print n }" x/redact.log)"
'

test_expect_success 'the original stays in the workspace, and the bundle verifies' '
	sha=$(sha256sum <secrets.txt | cut -c1-64) &&
	cmp secrets.txt "$WS/blobs/$(echo $sha | cut -c1-2)/$(echo $sha | cut -c3-)" &&
	fbw evidence check >/dev/null && fb verify r.tar.gz >/dev/null
'

test_expect_success 'IPv4 addresses only by flag' '
	fbw export 1 -o n.tar.gz --as-of "$T" --redact >/dev/null &&
	mkdir n && tar -xzf n.tar.gz -C n &&
	grep -qF "$(grep ^ipv4 values | cut -d" " -f2)" n/evidence/000001-secrets.txt &&
	! grep -q "ipv4" n/redact.log
'
test_done
