#!/bin/sh
# fleet ls: Ansible INI inventories, host patterns, errors naming file:line.
. "$(dirname "$0")/lib.sh"
require_prog jq

cat >inv <<'INV'
# GPU fleet
bastion ansible_host=10.0.0.1

[gpu]
gpu-[01:04] ansible_user=ops
gpu-10:2222 ansible_host=10.0.1.10 fb_host_key=SHA256:rlY2kjnK2G9aUYNy9qP3NJ4sUhMtyjACuUgQqT3xqV4

[train]
gpu-01
gpu-02

[serve]
gpu-03 ansible_port=2200
gpu-04

[prod:children]
train
serve

[prod:vars]
ansible_user=deploy
ansible_become=true

[all:vars]
ansible_port=22022
INV

test_expect_success 'all hosts, in inventory order, ranges expanded' '
	fb fleet ls -i inv --json | jq -r .host >got &&
	printf "%s\n" bastion gpu-01 gpu-02 gpu-03 gpu-04 gpu-10 >want &&
	diff want got
'

test_expect_success 'host vars beat child group vars beat parent and all' '
	fb fleet ls -i inv --json gpu-03 >out &&
	expect_eq "$(jq -r .user out)" ops &&
	expect_eq "$(jq -r .port out)" 2200 &&
	expect_eq "$(jq -r .become out)" true &&
	fb fleet ls -i inv --json bastion >out &&
	expect_eq "$(jq -r .port out)" 22022 &&
	expect_eq "$(jq -r .user out)" null &&
	expect_eq "$(jq -r .address out)" 10.0.0.1
'

test_expect_success 'host:port shorthand and fb_host_key pin' '
	fb fleet ls -i inv --json gpu-10 >out &&
	expect_eq "$(jq -r .port out)" 2222 &&
	expect_eq "$(jq -r .host_key_pin out)" SHA256:rlY2kjnK2G9aUYNy9qP3NJ4sUhMtyjACuUgQqT3xqV4
'

test_expect_success 'groups include parents through children' '
	fb fleet ls -i inv --json gpu-01 | jq -r ".groups[]" | sort >got &&
	printf "%s\n" all gpu prod train | sort >want &&
	diff want got
'

pat() { FIREBREAK_INVENTORY=inv fb fleet ls --json "$1" | jq -r .host | tr "\n" " "; }

test_expect_success 'patterns: union, intersection, exclusion, globs' '
	expect_eq "$(pat "train:serve")" "gpu-01 gpu-02 gpu-03 gpu-04 " &&
	expect_eq "$(pat "gpu:&prod")" "gpu-01 gpu-02 gpu-03 gpu-04 " &&
	expect_eq "$(pat "gpu:!train")" "gpu-03 gpu-04 gpu-10 " &&
	expect_eq "$(pat "gpu-0*:!gpu-02")" "gpu-01 gpu-03 gpu-04 " &&
	expect_eq "$(pat "all:!prod")" "bastion gpu-10 " &&
	expect_eq "$(pat "bastion,gpu-10")" "bastion gpu-10 " &&
	expect_eq "$(pat "ungrouped")" "bastion "
'

test_expect_code 6 'a pattern term matching nothing is an error' '
	fb fleet ls -i inv gpu:gpu-99 2>err; rc=$?;
	grep -q "gpu-99.*matches no host" err && exit $rc
'

test_expect_success 'the inventory comes from FIREBREAK_INVENTORY or XDG' '
	mkdir -p "$XDG_CONFIG_HOME/firebreak" &&
	cp inv "$XDG_CONFIG_HOME/firebreak/inventory" &&
	fb fleet ls bastion >out &&
	expect_grep "^bastion" out
'

bad() {
	printf "%b" "$1" >bad.ini
	fb fleet ls -i bad.ini >/dev/null 2>err
	rc=$?
	[ $rc -eq 3 ] || { echo "exit $rc"; cat err; return 1; }
	grep -q "bad.ini:$2:" err || { cat err; return 1; }
}

test_expect_success 'a bad line is an error naming file:line' '
	bad "[g]\nh1\n[g:nope]\n" 3 &&
	bad "h1\nh2 ansible_port=99999\n" 2 &&
	bad "[g]\nh1 \"unterminated\n" 2 &&
	bad "[g:vars]\nnot a var\n" 2 &&
	bad "# c\n\nh1 fb_typo=1\n" 3 &&
	bad "h1 ansible_password=hunter2\n" 1 &&
	bad "[g\nh1\n" 1 &&
	bad "h[1:x]\n" 1 &&
	bad "h1 fb_host_key=MD5:aa\n" 1 &&
	bad "h1 ansible_become_method=su\n" 1
'

test_expect_code 3 'a children cycle is an error' '
	printf "[a:children]\nb\n[b:children]\na\n" >cyc.ini &&
	fb fleet ls -i cyc.ini
'

test_expect_success 'host names reaching a terminal are made safe' '
	printf "h\\342\\200\\256x ansible_host=1.2.3.4\n" >u.ini &&
	fb fleet ls -i u.ini >out &&
	expect_grep "u202e" out
'

test_done
