package authproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// errTimeout is the round trip error when the identity provider has not
// answered within Config.Timeout.
var errTimeout = errors.New("authproxy: identity provider did not answer in time")

// newTransport clones http.DefaultTransport, so that process-wide settings
// such as proxies and root CAs still apply.
func newTransport(timeout time.Duration) http.RoundTripper {
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

// deadlineTransport bounds a round trip, from dialing to the response
// headers, by timeout. It cannot be a deadline on the request's context:
// that would also cut off the response body, which is still being copied
// to the client after RoundTrip returns.
type deadlineTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t *deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(t.timeout, func() { cancel(errTimeout) })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() {
		// The deadline passed, whatever RoundTrip made of the cancellation.
		if resp != nil {
			resp.Body.Close()
		}
		return nil, errTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &responseBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// responseBody releases the round trip's context once the body is done.
type responseBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *responseBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}
