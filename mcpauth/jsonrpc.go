package mcpauth

import (
	"bytes"
	"errors"
	"strings"

	"github.com/identsphere/identsphere-go/internal/strictjson"
)

// errNotStrict refuses a JSON-RPC body that two JSON readers could read
// two ways: a repeated member, a member name in another case ("Name" beside
// "name"), a tools/call without a string tool name. encoding/json would
// let "Name" fill Name, and the last of two "name" members win, while the
// server's reader may take the other: the tool checked would not be the
// tool run.
var errNotStrict = errors.New("the JSON-RPC body is not one strict JSON message")

// toolNames returns the tools the tools/call messages of body name: one
// message, or each of a batch (which MCP dropped in 2025-06-18, but a
// server may still take).
func toolNames(body []byte) ([]string, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var names []string
		err := strictjson.Array(body, func(elem []byte) error {
			name, err := toolName(elem)
			if name != "" {
				names = append(names, name)
			}
			return err
		})
		if err != nil {
			return nil, errNotStrict
		}
		return names, nil
	}
	name, err := toolName(body)
	if err != nil || name == "" {
		return nil, err
	}
	return []string{name}, nil
}

// toolName returns the tool a tools/call message names, or "" for another
// message.
func toolName(msg []byte) (string, error) {
	var method string
	var params []byte
	err := strictjson.Members(msg, func(key, value []byte) error {
		switch k := string(key); {
		case k == "method":
			method, _ = strictjson.String(value)
		case k == "params":
			params = value
		case strings.EqualFold(k, "method"), strings.EqualFold(k, "params"):
			return errNotStrict
		}
		return nil
	})
	if err != nil {
		return "", errNotStrict
	}
	if method != "tools/call" {
		return "", nil
	}
	var name string
	var named bool
	err = strictjson.Members(params, func(key, value []byte) error {
		switch k := string(key); {
		case k == "name":
			name, named = strictjson.String(value)
		case strings.EqualFold(k, "name"):
			return errNotStrict
		}
		return nil
	})
	if err != nil || !named || name == "" {
		return "", errNotStrict
	}
	return name, nil
}
