// Package provider runs a real OpenID provider in process, for the interop
// tests: the op package of github.com/zitadel/oidc/v3, mounted by that
// module's own example server (example/server/exampleop: its routes and its
// HTML login form), on a real loopback listener.
//
// Only the storage is ours, as with every deployment of that package: the
// example's in-memory storage (example/server/storage) keeps the
// authorization requests, the codes, the users, the login check and the
// signing key; [Store] adds on top of it the clients, their audiences and the
// tokens, so that every client gets JWT access tokens for the audiences the
// test chooses.
package provider

import (
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// The example's user store knows these: a user whose username is built from
// the issuer's host, and this password.
const (
	// Subject is the sub of the example user's tokens.
	Subject = "id1"
	// Password is the example user's password, and the unverified user's.
	Password = "verysecure"
)

// The user Start adds to the example's, whose e-mail address is not
// verified.
const (
	// UnverifiedSubject is the sub of the unverified user's tokens.
	UnverifiedSubject = "unverified"
	// UnverifiedUsername is the unverified user's login name.
	UnverifiedUsername = "unverified-user"
)

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the issuer identifier: http://127.0.0.1:port, no trailing
	// slash. Discovery is at Issuer + "/.well-known/openid-configuration".
	Issuer string

	store     *Store
	server    *httptest.Server
	closeOnce sync.Once
}

// Start serves a new provider on ln, with a new signing key, until Close.
// The issuer is http:// plus ln's address, so a provider started again on
// the same address has the same issuer and a new key.
func Start(ln net.Listener, clients ...Client) (*Provider, error) {
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !addr.IP.IsLoopback() {
		ln.Close()
		return nil, errors.New("provider: the listener must be TCP on loopback")
	}
	issuer := "http://" + ln.Addr().String()
	users := withUnverifiedUser{storage.NewUserStore(issuer)}
	// NewStorageWithClients with no clients of its own: Store answers for
	// every client. It makes the signing key (RSA 2048, RS256, a random kid).
	store, err := newStore(storage.NewStorageWithClients(users, map[string]*storage.Client{}), clients)
	if err != nil {
		ln.Close()
		return nil, err
	}
	// No logger: SetupServer would make it the process's default.
	router := exampleop.SetupServer(issuer, store, nil, false)

	server := httptest.NewUnstartedServer(router)
	server.Listener.Close()
	server.Listener = ln
	server.Start()

	return &Provider{Issuer: issuer, store: store, server: server}, nil
}

// Username is the example user's login name at the provider with this
// issuer, as storage.NewUserStore names it: test-user@ and the issuer's
// host.
func Username(issuer string) string {
	host, _, _ := strings.Cut(strings.TrimPrefix(issuer, "http://"), ":")
	return "test-user@" + host
}

// withUnverifiedUser is the example's user store with one more user, like
// the example's, whose e-mail address is not verified: the example's users'
// are.
type withUnverifiedUser struct{ storage.UserStore }

var unverifiedUser = storage.User{
	ID:        UnverifiedSubject,
	Username:  UnverifiedUsername,
	Password:  Password,
	FirstName: "Unverified",
	LastName:  "User",
	Email:     "unverified-user@example.com",
}

func (u withUnverifiedUser) GetUserByID(id string) *storage.User {
	if id == UnverifiedSubject {
		user := unverifiedUser
		return &user
	}
	return u.UserStore.GetUserByID(id)
}

func (u withUnverifiedUser) GetUserByUsername(name string) *storage.User {
	if name == UnverifiedUsername {
		user := unverifiedUser
		return &user
	}
	return u.UserStore.GetUserByUsername(name)
}

// KeyID is the kid of the provider's signing key.
func (p *Provider) KeyID() string { return p.store.signingKeyID() }

// Close stops the provider: its listener is closed, and Close returns once
// every request in flight has been answered. Calling it again does
// nothing.
func (p *Provider) Close() {
	p.closeOnce.Do(p.server.Close)
}
