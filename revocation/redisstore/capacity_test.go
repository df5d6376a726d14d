package redisstore_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/authtest"
	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// More live denials in Redis than MaxEntries: a replica that starts then,
// and one that reconnects then, load what fits, say so (status, error
// log), keep fresh routes at 503, and never stop applying what is
// published: a session revoked afterwards is refused on their ordinary
// routes. Once the denials fit again, the next read completes and they are
// in sync.
func TestOverCapacityReplicasKeepApplyingWhatIsPublished(t *testing.T) {
	redis := redistest.Start(t, redistest.WithPersistence())
	raw := redis.Client()
	defer raw.Close()
	iss := newIssuer(t)
	logs := newLogSink(t)
	const maxEntries = 100
	small := fleetConfig(redis, logs)
	small.MaxEntries = maxEntries
	writer := newReplica(t, "writer", iss, fleetConfig(redis, logs))
	running := newReplica(t, "running", iss, small) // in sync before the denials outgrow it
	waitSynced(t, writer, running)

	exp := time.Now().Add(time.Hour)
	for i := range maxEntries + 50 {
		if err := writer.store.RevokeSession(t.Context(), iss.URL(), "s-"+strconv.Itoa(i), exp); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the running replica applied every published denial, past MaxEntries", func() bool {
		return running.store.Len() == maxEntries+50
	})

	late := newReplica(t, "late", iss, small) // starts over capacity
	redis.Stop()                              // the running replica reconnects over capacity
	redis.Restart()
	replicas := []*replica{running, late}
	for _, r := range replicas {
		eventually(t, 10*time.Second, r.name+" reports over capacity", func() bool {
			st := r.store.Status()
			return st.OverCapacity && !st.Synced
		})
		if n := r.store.Len(); n < maxEntries {
			t.Fatalf("%s holds %d denials: it did not load what it read", r.name, n)
		}
	}
	if st := late.store.Status(); st.SyncedOnce || !st.LastSynced.IsZero() {
		t.Fatalf("a replica that never read every denial reports %+v", st)
	}
	if st := running.store.Status(); !st.SyncedOnce || st.LastSynced.IsZero() {
		t.Fatalf("a replica in sync before reports %+v", st)
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"redisstore: more denials in Redis than Config.MaxEntries") {
		t.Fatalf("over capacity not logged as an error:\n%s", logs.String())
	}

	// Published after they went over capacity: applied all the same.
	after := iss.MustMint(authtest.Claims{"sid": "s-after", "exp": exp})
	kept := iss.MustMint(authtest.Claims{"sid": "s-kept", "exp": exp})
	wantStatus(t, replicas, pathMe, after, http.StatusOK, "before the revocation")
	writer.backChannelLogout(t, iss, "s-after")
	for _, r := range replicas {
		eventually(t, 5*time.Second, r.name+" applies a denial published while over capacity", func() bool {
			return r.status(t, pathMe, after) == http.StatusUnauthorized
		})
	}
	wantStatus(t, replicas, pathMe, kept, http.StatusOK, "over capacity, never revoked")
	wantStatus(t, replicas, pathFresh, kept, http.StatusServiceUnavailable, "over capacity, fresh route")

	// Enough denials end; an unreadable message makes them read again now
	// rather than in a minute: they fit, and are in sync.
	keys, err := raw.Keys(t.Context(), redisstore.DefaultKeyPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.Contains(k, "s-after") {
			if err := raw.Del(t.Context(), k).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := raw.Publish(t.Context(), redisstore.DefaultChannel, "garbage").Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range replicas {
		eventually(t, 10*time.Second, r.name+" in sync once the denials fit", func() bool {
			st := r.store.Status()
			return st.Synced && !st.OverCapacity && st.SyncedOnce
		})
	}
	wantStatus(t, replicas, pathFresh, kept, http.StatusOK, "in sync again, fresh route")
	wantStatus(t, replicas, pathFresh, after, http.StatusUnauthorized, "in sync again, fresh route, revoked")
}
