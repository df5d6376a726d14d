package mcpauth

import (
	"encoding/json"
	"testing"
)

// FuzzToolNames: any body is read without a panic, and a tool name found
// is the one encoding/json reads too (a body the two could read two ways
// is refused, never read one way).
func FuzzToolNames(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}`,
		`[{"method":"tools/call","params":{"name":"a"}},{"method":"tools/list"}]`,
		`{"method":"tools/call","params":{"name":"a","Name":"b"}}`,
		`{"method":"tools/call","params":{"name":"a","\u006eame":"b"}}`,
		`{"METHOD":"tools/call"}`, `[]`, `null`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		names, err := toolNames(body)
		if err != nil || len(names) != 1 || len(body) == 0 || body[0] != '{' {
			return
		}
		var msg struct {
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &msg) == nil && msg.Params.Name != names[0] {
			t.Fatalf("strict read %q, encoding/json %q, of %q", names[0], msg.Params.Name, body)
		}
	})
}
