package resourceserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/core"
)

// withAccessLog writes one record per request, once it is answered:
// method, path, status, duration and request id. Never a header (the token
// is in one) nor the query string.
func withAccessLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		// Deferred, so that a request whose handler panics (a client gone
		// mid-answer) is logged as well.
		defer func() {
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", sw.code()),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("request_id", core.RequestID(r.Context())),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets handlers that stream flush through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// CloseNotify forwards the writer's http.CloseNotifier, deprecated but
// still asserted unchecked by routers' streaming helpers (gin's c.Stream):
// without it they panic behind the access log. A writer underneath that
// lacks it gives a channel that never fires; the request's context still
// ends when the client goes away.
func (w *statusWriter) CloseNotify() <-chan bool {
	if cn, ok := w.ResponseWriter.(interface{ CloseNotify() <-chan bool }); ok {
		return cn.CloseNotify()
	}
	return nil
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status sent; 200 when the handler wrote nothing, as net/http
// then answers.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
