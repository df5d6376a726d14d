package authproxy

import "net/http"

// RewriteSetCookie exposes rewriteSetCookie to the fuzz tests.
var RewriteSetCookie = rewriteSetCookie

// ResolveForwarding exposes what p would tell the provider about r's
// client, for the fuzz tests and benchmarks.
func ResolveForwarding(p *Proxy, r *http.Request) (client, proto string, err error) {
	f, err := p.resolveForwarding(r)
	if err != nil {
		return "", "", err
	}
	if f.client.IsValid() {
		client = f.client.String()
	}
	return client, f.proto, nil
}
