package controlplane_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// The fuzz targets below send arbitrary bodies to the batch endpoints of a
// real control plane. Their seed corpora run as ordinary tests; run one
// for longer with e.g.
//
//	go test ./controlplane -run '^$' -fuzz FuzzStopBody -fuzztime 60s
//
// Every answer must be a valid decode (200 with a request id and a job
// list) or a 400 with APIGW.0201 or a field code, and a body that is not
// well-formed JSON text must be APIGW.0201. "PHONE" in a body is replaced
// by the id of a real phone, so that seeds reach the per-item checks.

// bodySeeds are bodies common to every batch endpoint.
var bodySeeds = []string{
	``, ` `, `null`, ` null `, `{}`, `[]`, `0`, `"x"`, `true`, `{} x`, `{"a":1}{}`,
	"\xef\xbb\xbf{}", "{\"x\":\"\xff\"}", `{"x":"\ud800"}`, `{"x":"\udc00"}`, `{"x":"\ud83d\ude00"}`,
	`{"x":"\\ud800"}`, `{"x":"\ud800\\"}`, `{"x":"\ud800\u0041"}`, `{"x":"\u0000"}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	`{"x":1e999}`, `{"x":-0}`, `{`, `{"x":`, `{"x":"`,
}

// fuzzBatch runs a fuzz target for one endpoint with the common seeds and
// the endpoint's own.
func fuzzBatch(f *testing.F, path string, seeds ...string) {
	for _, s := range append(bodySeeds, seeds...) {
		f.Add([]byte(s))
	}
	srv := cptest.Start(f, func(c *controlplane.Config) { c.SimServers = 1 })
	client := &http.Client{}
	call := func(method, url, token string, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, url, bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
		resp, err := client.Do(req)
		if err != nil {
			f.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			f.Fatalf("%s %s: %v", method, url, err)
		}
		return resp, out
	}
	resp, lr := call("POST", srv.URL()+"/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"`+
		cptest.User+`","password":"`+cptest.Password+`","domain":{"name":"`+cptest.Domain+`"}}}},"scope":{"project":{"name":"`+cptest.Project+`"}}}}`)
	token := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != http.StatusCreated || token == "" {
		f.Fatalf("login: %d %v", resp.StatusCode, lr)
	}
	pid := lr["token"].(map[string]any)["project"].(map[string]any)["id"].(string)
	_, phones := call("GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", token, "")
	phoneID := phones["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	url := srv.URL() + "/v1/" + pid + "/cloud-phone" + path
	f.Fuzz(func(t *testing.T, body []byte) {
		body = bytes.ReplaceAll(body, []byte("PHONE"), []byte(phoneID))
		req, err := http.NewRequest("POST", url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var out struct {
			ErrorCode string            `json:"error_code"`
			RequestID string            `json:"request_id"`
			Jobs      []json.RawMessage `json:"jobs"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%q: answer is not JSON: %d %q", body, resp.StatusCode, raw)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if out.RequestID == "" || out.Jobs == nil {
				t.Fatalf("%q: 200 without a request id and jobs: %s", body, raw)
			}
		case http.StatusBadRequest:
			if out.ErrorCode != "APIGW.0201" && !fieldCode.MatchString(out.ErrorCode) {
				t.Fatalf("%q: 400 with code %q", body, out.ErrorCode)
			}
		default:
			t.Fatalf("%q: %d %s", body, resp.StatusCode, raw)
		}
		if !wellFormedJSON(body) && (resp.StatusCode != http.StatusBadRequest || out.ErrorCode != "APIGW.0201") {
			t.Fatalf("%q is not well-formed JSON text but was answered %d %s", body, resp.StatusCode, raw)
		}
	})
}

// fieldCode is the form of the CPH codes of field and item checks.
var fieldCode = regexp.MustCompile(`^CPS\.[0-9]{4}$`)

// escape matches one JSON string escape; the \u escape's digits are the
// first submatch.
var escape = regexp.MustCompile(`\\(?:u([0-9a-fA-F]{4})|.)`)

// wellFormedJSON is this test's own statement of what the server must
// accept as a body: valid JSON and UTF-8, not a bare null, and no \u escape
// of a surrogate outside a high-low pair.
func wellFormedJSON(b []byte) bool {
	if !json.Valid(b) || !utf8.Valid(b) || string(bytes.TrimSpace(b)) == "null" {
		return false
	}
	ms := escape.FindAllSubmatchIndex(b, -1)
	for i := 0; i < len(ms); i++ {
		if ms[i][2] < 0 {
			continue
		}
		v, _ := strconv.ParseUint(string(b[ms[i][2]:ms[i][3]]), 16, 16)
		switch {
		case v >= 0xD800 && v < 0xDC00:
			if i+1 >= len(ms) || ms[i+1][0] != ms[i][1] || ms[i+1][2] < 0 {
				return false
			}
			lo, _ := strconv.ParseUint(string(b[ms[i+1][2]:ms[i+1][3]]), 16, 16)
			if lo < 0xDC00 || lo >= 0xE000 {
				return false
			}
			i++
		case v >= 0xDC00 && v < 0xE000:
			return false
		}
	}
	return true
}

func FuzzRestartBody(f *testing.F) {
	fuzzBatch(f, "/phones/batch-restart",
		`{"phones":[{"phone_id":"PHONE"}]}`, `{"phones":null}`, `{"phones":[null]}`, `{"phones":[]}`,
		`{"phones":[{"phone_id":"PHONE","property":"{\"sys.prop.locale\":\"en-US\"}"}]}`,
		`{"phones":[{"phone_id":"PHONE","property":"not json"}]}`, `{"phones":[{"phone_id":"PHONE"}],"image_id":""}`,
		`{"phones":[{"phone_id":"PHONE"}],"image_id":"no-such-image"}`, `{"phones":[{"phone_id":1}]}`,
		`{"phones":[{"phone_id":"\ud800"}]}`, `{"phones":"PHONE"}`, `{"phones":[{"phone_id":"PHONE"},{"phone_id":"PHONE"}]}`)
}

func FuzzResetBody(f *testing.F) {
	fuzzBatch(f, "/phones/batch-reset",
		`{"phones":[{"phone_id":"PHONE"}]}`, `{"phones":[{"phone_id":"PHONE"}],"image_id":null}`,
		`{"phones":[{"phone_id":"PHONE","property":"{}"}]}`, `{"phones":[{}]}`, `{"phones":[{"phone_id":"x"}]}`)
}

func FuzzStopBody(f *testing.F) {
	fuzzBatch(f, "/phones/batch-stop",
		`{"phone_ids":["PHONE"]}`, `{"phone_ids":null}`, `{"phone_ids":[null]}`, `{"phone_ids":[]}`,
		`{"phone_ids":[1]}`, `{"phone_ids":["PHONE","PHONE"]}`, `{"phone_ids":["../x"]}`, "{\"phone_ids\":[\"PHONE\xff\"]}")
}

func FuzzCommandsBody(f *testing.F) {
	fuzzBatch(f, "/phones/commands",
		`{"command":"shell","content":"getprop","phone_ids":["PHONE"]}`, `{"command":"shell","content":"","phone_ids":["PHONE"]}`,
		`{"command":"push","content":"obs://apps/x.tar","phone_ids":["PHONE"]}`, `{"command":"install","content":"-r obs://apps/a.apk","phone_ids":["PHONE"]}`,
		`{"command":"nope","content":"x","phone_ids":["PHONE"]}`, `{"command":null,"content":null}`, `{"command":"shell"}`,
		`{"command":"shell","content":"id","server_ids":["x"]}`, `{"command":"shell","content":"id","phone_ids":["PHONE"],"server_ids":["PHONE"]}`,
		`{"command":"shell","content":"\ud800","phone_ids":["PHONE"]}`)
}

func FuzzPropertyBody(f *testing.F) {
	fuzzBatch(f, "/phones/batch-update-property",
		`{"phones":[{"phone_id":"PHONE","property":"{\"sys.prop.locale\":\"en-US\"}"}]}`,
		`{"phones":[{"phone_id":"PHONE","property":"{\"ro.permission.changed\":1}"}]}`,
		`{"phones":[{"phone_id":"PHONE","property":""}]}`, `{"phones":[{"phone_id":"PHONE","property":null}]}`,
		`{"phones":[{"phone_id":"PHONE","property":"{\"x\":[1,2]}"}]}`, `{"phones":[{"phone_id":"PHONE","property":"[]"}]}`,
		`{"phones":[{"phone_id":"PHONE","property":"{\"sys.prop.locale\":\"\\ud800\"}"}]}`, `{"phones":[{"phone_id":"PHONE","property":{}}]}`,
		`{"phones":[null]}`)
}
