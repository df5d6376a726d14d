package resourceserver

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/identsphere/identsphere-go/core"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// Components a readiness body names when they are not ready.
const (
	// ComponentSigningKeys: the issuer's signing keys have never loaded;
	// every protected request would get 503.
	ComponentSigningKeys = "signing_keys"
	// ComponentRevocations: the Redis revocation store has never read
	// every denial; it would admit tokens revoked before this replica
	// started.
	ComponentRevocations = "revocations"
)

// Readiness is the body of the readiness handler: state, ages and counts
// only. It names no issuer and holds no error text: an issuer's URL and a
// failed fetch's error name the provider's internal addresses, which are
// nobody else's business, and a probe endpoint is often reachable by more
// people than the logs. The detail is in the log and in ReadinessDetail
// (GET /readyz/detail on Config.MetricsAddr).
type Readiness struct {
	// Status is "ok", "waiting for signing keys" or "revocations not
	// synced".
	Status string `json:"status"`
	Ready  bool   `json:"ready"`
	// NotReady names each component that keeps the service from being
	// ready (ComponentSigningKeys, ComponentRevocations); empty when ready.
	NotReady     []string `json:"not_ready"`
	CacheEntries int      `json:"cache_entries"`
	// Issuers is each trusted issuer's key state, in configuration order.
	Issuers []IssuerReadiness `json:"issuers"`
	// Revocations is the Redis revocation store's state; absent without
	// Config.RedisURL.
	Revocations *RevocationReadiness `json:"revocations,omitempty"`
}

// IssuerReadiness is one issuer's key state.
type IssuerReadiness struct {
	Ready bool `json:"ready"`
	Keys  int  `json:"keys"`
	// KeysAgeSeconds is the time since the keys were last fetched; absent
	// before the first load.
	KeysAgeSeconds *float64 `json:"keys_age_seconds,omitempty"`
	// RefreshFailing: the last load or refresh of the keys failed (the
	// log and ReadinessDetail say why); the keys held, if any, are still
	// used.
	RefreshFailing bool `json:"refresh_failing"`
}

// ReadinessDetail is Readiness with what only operators may see: each
// issuer's identifier and last error (URLs and statuses, never a secret).
type ReadinessDetail struct {
	Status       string               `json:"status"`
	Ready        bool                 `json:"ready"`
	NotReady     []string             `json:"not_ready"`
	CacheEntries int                  `json:"cache_entries"`
	Issuers      []IssuerDetail       `json:"issuers"`
	Revocations  *RevocationReadiness `json:"revocations,omitempty"`
}

// IssuerDetail is one issuer's key state, named, with its last error.
type IssuerDetail struct {
	Issuer string `json:"issuer"`
	IssuerReadiness
	LastError string `json:"last_error,omitempty"`
}

// RevocationReadiness is the Redis store's state: counts, ages and flags.
type RevocationReadiness struct {
	// Synced: in sync with Redis now; fresh routes answer 503 otherwise.
	Synced bool `json:"synced"`
	// SyncedOnce: every denial read at least once; the replica is not
	// ready before.
	SyncedOnce bool `json:"synced_once"`
	// OverCapacity: more denials in Redis than the store holds.
	OverCapacity bool `json:"over_capacity,omitempty"`
	// LastSyncAgeSeconds is the time since the store was last known in
	// sync (0 while in sync); absent before the first sync.
	LastSyncAgeSeconds *float64 `json:"last_sync_age_seconds,omitempty"`
	Denials            int      `json:"denials"`
	Pending            int      `json:"pending_writes"`
}

// readinessDetailOf reads v's Status and the revocation store's: ready
// once the keys are loaded and, with Redis, every denial has been read
// once.
func readinessDetailOf(v *core.Validator, rev *revocations) (int, ReadinessDetail) {
	st := v.Status()
	out := ReadinessDetail{
		Status:       "ok",
		Ready:        true,
		NotReady:     []string{},
		CacheEntries: st.CacheEntries,
		Issuers:      []IssuerDetail{},
	}
	if !st.Ready {
		out.NotReady = append(out.NotReady, ComponentSigningKeys)
		out.Status = "waiting for signing keys"
	}
	if !rev.syncedOnce() {
		out.NotReady = append(out.NotReady, ComponentRevocations)
		if st.Ready {
			out.Status = "revocations not synced"
		}
	}
	if rev.store != nil {
		out.Revocations = revocationReadinessOf(rev.store.Status())
	}
	for _, is := range st.Issuers {
		d := IssuerDetail{Issuer: is.Issuer, LastError: is.LastError,
			IssuerReadiness: IssuerReadiness{Ready: is.Ready, Keys: is.Keys, RefreshFailing: is.LastError != ""}}
		if !is.KeysFetchedAt.IsZero() {
			d.KeysAgeSeconds = ageSeconds(is.KeysFetchedAt)
		}
		out.Issuers = append(out.Issuers, d)
	}
	code := http.StatusOK
	if len(out.NotReady) > 0 {
		out.Ready, code = false, http.StatusServiceUnavailable
	}
	return code, out
}

// readinessOf is readinessDetailOf without what only operators may see.
func readinessOf(v *core.Validator, rev *revocations) (int, Readiness) {
	code, d := readinessDetailOf(v, rev)
	out := Readiness{Status: d.Status, Ready: d.Ready, NotReady: d.NotReady, CacheEntries: d.CacheEntries,
		Revocations: d.Revocations, Issuers: make([]IssuerReadiness, len(d.Issuers))}
	for i, is := range d.Issuers {
		out.Issuers[i] = is.IssuerReadiness
	}
	return code, out
}

func revocationReadinessOf(st redisstore.Status) *RevocationReadiness {
	out := &RevocationReadiness{
		Synced:       st.Synced,
		SyncedOnce:   st.SyncedOnce,
		OverCapacity: st.OverCapacity,
		Denials:      st.Denials,
		Pending:      st.Pending,
	}
	if !st.LastSynced.IsZero() {
		out.LastSyncAgeSeconds = ageSeconds(st.LastSynced)
	}
	return out
}

func ageSeconds(since time.Time) *float64 {
	age := max(time.Since(since), 0).Round(time.Millisecond).Seconds()
	return &age
}

// readinessHandler answers body() as JSON: 200 when ready, 503 otherwise,
// never cached.
func readinessHandler[T any](body func() (int, T)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		code, body := body()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body) // the status is sent; an error means the client left
	})
}
