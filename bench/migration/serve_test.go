package migration_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
)

// serve sends GET path to h with token as a bearer token and says what came
// back: the status, and the body of a 200.
func serve(h http.Handler, path, token string) string {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Sprint(rec.Code)
	}
	return fmt.Sprintf("%d %q", rec.Code, rec.Body.String())
}
