package core

import (
	"context"
	"io"
	"net/http"
	"time"
)

// newAuthProxyTransport clones http.DefaultTransport, so that process-wide
// settings such as proxies and root CAs still apply.
func newAuthProxyTransport(timeout time.Duration) http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		// Someone replaced the default; start from the documented one.
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	} else {
		t = t.Clone()
	}
	t.ResponseHeaderTimeout = timeout
	// The client's Accept-Encoding goes upstream and the body comes back
	// as the provider encoded it, rather than being inflated in between.
	t.DisableCompression = true
	// Every request goes to one host; the default of 2 idle connections
	// would mean a new connection per request under any load.
	t.MaxIdleConnsPerHost = 32
	return t
}

// proxyDeadlineTransport bounds a round trip, from dialing to the response
// headers, by timeout. It cannot be a deadline on the request's context:
// that would also cut off the response body, which is still being copied
// to the client after RoundTrip returns.
type proxyDeadlineTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t *proxyDeadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(t.timeout, func() { cancel(errAuthProxyTimeout) })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() {
		// The deadline passed, whatever RoundTrip made of the cancellation.
		if resp != nil {
			resp.Body.Close()
		}
		return nil, errAuthProxyTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &proxyResponseBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// proxyResponseBody releases the round trip's context once the body is done.
type proxyResponseBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *proxyResponseBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}
