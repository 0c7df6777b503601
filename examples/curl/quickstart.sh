#!/bin/sh
# The CPH quick start with curl and a POSIX shell: log in, list the phones,
# restart them all, and poll their jobs until every one is final.
#
# It reads the variables that "cphd --ephemeral --ephemeral-env-file FILE"
# writes (or set them yourself for any OpenCPH, or Huawei CPH):
#   CPH_ENDPOINT     base URL, e.g. http://127.0.0.1:8080
#   CPH_DOMAIN       account (domain) name
#   CPH_USER         user name (default: CPH_DOMAIN)
#   CPH_PASSWORD     the user's password (sent inside a JSON string: no " or \)
#   CPH_PROJECT      project name, a region id such as cn-north-4
#   CPH_PROJECT_ID   that project's id
# Optional: CPH_WAIT_SECONDS (default 60) bounds the wait for the jobs.
#
# It prints what it did and exits 0 when every restart succeeded, 1 when a
# phone was refused or a job failed or did not end in time, and 2 when a
# call failed. It needs curl, grep and sed; no JSON tool.
set -eu

: "${CPH_ENDPOINT:?set CPH_ENDPOINT}" "${CPH_DOMAIN:?set CPH_DOMAIN}" "${CPH_PASSWORD:?set CPH_PASSWORD}"
: "${CPH_PROJECT:?set CPH_PROJECT}" "${CPH_PROJECT_ID:?set CPH_PROJECT_ID}"
user=${CPH_USER:-$CPH_DOMAIN}
wait_seconds=${CPH_WAIT_SECONDS:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# call METHOD PATH [BODY]: the answer's body on stdout; exit 2 unless 2xx.
call() {
	if [ $# -ge 3 ]; then
		status=$(curl -sS -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X "$1" \
			-H "X-Auth-Token: ${token:-}" -H 'Content-Type: application/json' \
			--data-binary "$3" "$CPH_ENDPOINT$2") || exit 2
	else
		status=$(curl -sS -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X "$1" \
			-H "X-Auth-Token: ${token:-}" "$CPH_ENDPOINT$2") || exit 2
	fi
	case $status in
	2??) cat "$tmp/body" ;;
	*)
		echo "$1 $2: HTTP $status $(cat "$tmp/body")" >&2
		exit 2
		;;
	esac
}

# 1. A token: POST /v3/auth/tokens answers it in the X-Subject-Token header.
call POST /v3/auth/tokens "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$user\",\"password\":\"$CPH_PASSWORD\",\"domain\":{\"name\":\"$CPH_DOMAIN\"}}}},\"scope\":{\"project\":{\"name\":\"$CPH_PROJECT\"}}}}" >/dev/null
token=$(grep -i '^x-subject-token:' "$tmp/headers" | sed 's/^[^:]*: *//' | tr -d '\r')
[ -n "$token" ] || { echo "no X-Subject-Token in the login answer" >&2; exit 2; }
echo "logged in as $CPH_DOMAIN/$user"

# 2. The phones (the first 100).
api=/v1/$CPH_PROJECT_ID/cloud-phone
list=$(call GET "$api/phones?offset=0&limit=100")
ids=$(printf '%s' "$list" | grep -o '"phone_id":"[0-9a-f]*"' | sed 's/.*:"\(.*\)"/\1/' || true)
count=$(printf '%s\n' $ids | grep -c . || true)
echo "phones: $count"
[ "$count" -gt 0 ] || { echo "no phone to restart" >&2; exit 1; }

# 3. Restart them all in one batch: the answer has a request_id and one
# entry per phone, a job_id or an error_code.
body='{"phones":['
sep=
for id in $ids; do
	body="$body$sep{\"phone_id\":\"$id\"}"
	sep=,
done
body="$body]}"
answer=$(call POST "$api/phones/batch-restart" "$body")
request=$(printf '%s' "$answer" | grep -o '"request_id":"[^"]*"' | sed 's/.*:"\(.*\)"/\1/')
accepted=$(printf '%s' "$answer" | grep -o '"job_id":"[^"]*"' | grep -c . || true)
echo "restart: request $request, $accepted jobs"
if printf '%s' "$answer" | grep -q '"error_code"'; then
	echo "some phones were refused: $answer" >&2
	exit 1
fi

# 4. Poll the request's jobs until none is running (status 1); 2 is
# success, -1 failure.
deadline=$(($(date +%s) + wait_seconds))
while :; do
	jobs=$(call GET "$api/jobs?request_id=$request")
	statuses=$(printf '%s' "$jobs" | grep -o '"status":-\{0,1\}[0-9]*' | sed 's/.*://' || true)
	running=$(printf '%s\n' $statuses | grep -c '^1$' || true)
	[ "$running" -eq 0 ] && break
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "jobs still running after ${wait_seconds}s: $running" >&2
		exit 1
	fi
	sleep 0.2 2>/dev/null || sleep 1
done
succeeded=$(printf '%s\n' $statuses | grep -c '^2$' || true)
failed=$(printf '%s\n' $statuses | grep -c '^-1$' || true)
echo "jobs: $succeeded succeeded, $failed failed"
[ "$failed" -eq 0 ] && [ "$succeeded" -eq "$accepted" ]
