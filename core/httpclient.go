package core

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// errResponseTooLarge is returned when an issuer's response exceeds
// Config.MaxResponseBytes.
var errResponseTooLarge = errors.New("identsphere: issuer response too large")

// newIssuerClient returns the client used for discovery and JWKS requests.
// keyfunc's default (http.DefaultClient, one-minute timeout, unbounded
// bodies) is wrong for a server: a slow or hostile issuer could hold
// requests or memory. Keep-alives are off by default: fetches are minutes
// apart, and an idle pooled connection would outlive Close.
func newIssuerClient(c Config) *http.Client {
	return newIssuerClientOver(c, nil)
}

// newKeysTransport returns a transport for newIssuerClientOver: keep-alives
// off, so that it holds no connection between fetches and several issuers
// may share it; the client's Timeout bounds each exchange whole.
func newKeysTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	t.TLSHandshakeTimeout = 0 // within the client's Timeout
	return t
}

// newIssuerClientOver is newIssuerClient over transport, shared with other
// issuers (nil: a transport of its own), unless c names its own client.
func newIssuerClientOver(c Config, transport *http.Transport) *http.Client {
	var client http.Client
	if c.HTTPClient != nil {
		client = *c.HTTPClient
	} else {
		if transport == nil {
			transport = newKeysTransport()
		}
		client.Transport = transport
	}
	if client.Timeout == 0 {
		client.Timeout = c.HTTPTimeout
	}
	client.Transport = &cappedTransport{base: client.Transport, max: c.MaxResponseBytes}
	client.CheckRedirect = sameSchemeRedirects(client.CheckRedirect)
	return &client
}

// sameSchemeRedirects refuses redirects that change scheme (an https
// issuer must never hand its keys over plain http) and long chains, then
// defers to the caller's own policy, if any.
func sameSchemeRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("identsphere: too many redirects")
		}
		if req.URL.Scheme != via[0].URL.Scheme {
			return errors.New("identsphere: redirect to another scheme refused")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// cappedTransport fails any response body larger than max.
type cappedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, errResponseTooLarge
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: t.max}
	return resp, nil
}

type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more than allowed tells "too large" from "exactly max".
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// closeIdle releases pooled connections of the client's own transport.
func closeIdle(c *http.Client) {
	if t, ok := c.Transport.(*cappedTransport); ok {
		if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
	}
}

// statusError reports an issuer URL that answered with a status other than
// 200 OK, naming both.
type statusError struct {
	what string // "the JWKS", "the discovery document"
	url  string
	code int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("identsphere: %s at %s answered %d %s", e.what, e.url, e.code, http.StatusText(e.code))
}
