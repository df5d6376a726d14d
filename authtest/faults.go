package authtest

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Fault is a failure the discovery and JWKS endpoints can be told to show,
// so that tests can check how a relying party copes with an unhealthy
// issuer. The /v1/auth/ endpoints are never affected.
type Fault int

const (
	// FaultNone serves normally.
	FaultNone Fault = iota
	// FaultDown closes the connection without any answer, as a crashed or
	// unreachable issuer would; clients see a transport error.
	FaultDown
	// FaultSlow holds each request for the slow delay (see SetSlowDelay)
	// before serving it normally. A request is let go early when its client
	// gives up or Close is called, so tests never wait for the delay.
	FaultSlow
	// FaultServerError answers 500 Internal Server Error.
	FaultServerError
	// FaultGarbage answers 200 with a Content-Type of application/json and a
	// body that is not JSON, as a misrouted proxy would.
	FaultGarbage
)

// garbageBody is what FaultGarbage serves.
const garbageBody = "<html><body>502 Bad Gateway</body></html>\n"

// String returns the constant's name, for test names and failure messages.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "FaultNone"
	case FaultDown:
		return "FaultDown"
	case FaultSlow:
		return "FaultSlow"
	case FaultServerError:
		return "FaultServerError"
	case FaultGarbage:
		return "FaultGarbage"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// SetFault makes the discovery and JWKS endpoints show f from the next
// request on; FaultNone restores normal service. An unknown Fault panics.
func (i *Issuer) SetFault(f Fault) {
	if f < FaultNone || f > FaultGarbage {
		panic(fmt.Sprintf("authtest: SetFault(%v): unknown fault", f))
	}
	i.fault.Store(int64(f))
}

// SetSlowDelay sets how long FaultSlow holds a request (default
// DefaultSlowDelay), so a test can also check that a slow but eventually
// successful answer is accepted. A negative d panics.
func (i *Issuer) SetSlowDelay(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("authtest: SetSlowDelay(%v): the delay must not be negative", d))
	}
	i.slowDelay.Store(int64(d))
}

// interceptFault applies the current fault to r and reports whether it fully
// handled the request.
func (i *Issuer) interceptFault(w http.ResponseWriter, r *http.Request) bool {
	return i.applyFault(Fault(i.fault.Load()), w, r)
}

// applyFault applies f to r and reports whether it fully handled the request.
func (i *Issuer) applyFault(f Fault, w http.ResponseWriter, r *http.Request) bool {
	switch f {
	case FaultDown:
		dropConnection(w)
		return true
	case FaultSlow:
		return i.hold(w, r)
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, "server_error", "injected fault")
		return true
	case FaultGarbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, garbageBody)
		return true
	}
	return false
}

// hold waits for the slow delay and reports false, so the request is then
// served; or reports true if the request ended first: its client went away,
// or the issuer is closing (and the connection is dropped).
func (i *Issuer) hold(w http.ResponseWriter, r *http.Request) bool {
	if i.onHold != nil {
		i.onHold()
	}
	t := time.NewTimer(time.Duration(i.slowDelay.Load()))
	defer t.Stop()
	select {
	case <-t.C:
		return false
	case <-r.Context().Done():
		return true
	case <-i.closing:
		dropConnection(w)
		return true
	}
}

// dropConnection closes the client's connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): this panic value is the documented way
		// to make net/http abort the response without logging.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
