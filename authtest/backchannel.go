package authtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// BackChannelLogoutEvent is the member of a logout token's events claim
// (OpenID Connect Back-Channel Logout 1.0).
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// backChannel is the issuer's registered back-channel logout receivers.
type backChannel struct {
	mu        sync.Mutex
	receivers []receiver
	delivered int
	failed    int
}

type receiver struct{ url, clientID string }

// RegisterBackChannelLogout makes the issuer act as a provider that sends
// back-channel logout: from now on, its logout endpoint posts a logout
// token (aud clientID, the session's sid and sub) to url before it answers.
// Register the receiver's URL as an operator registers it at a real
// provider.
func (i *Issuer) RegisterBackChannelLogout(receiverURL, clientID string) {
	i.backChannel.mu.Lock()
	defer i.backChannel.mu.Unlock()
	i.backChannel.receivers = append(i.backChannel.receivers, receiver{receiverURL, clientID})
}

// BackChannelDeliveries returns how many logout tokens receivers accepted
// (answered 200) and how many they refused or could not be reached.
func (i *Issuer) BackChannelDeliveries() (delivered, failed int) {
	i.backChannel.mu.Lock()
	defer i.backChannel.mu.Unlock()
	return i.backChannel.delivered, i.backChannel.failed
}

// MintLogoutToken returns a signed back-channel logout token for clientID
// naming sid and sub (either may be empty): typ logout+jwt, iss, aud, iat,
// a random jti, and the events claim. claims override or (nil) remove any
// of them, and opts apply as for Mint, so tests can mint hostile ones: an
// old iat, a nonce, no events, another audience, a replayed jti.
func (i *Issuer) MintLogoutToken(clientID, sid, sub string, claims Claims, opts ...MintOption) (string, error) {
	base := Claims{
		"aud":    clientID,
		"iat":    time.Now().Unix(),
		"jti":    rand.Text(),
		"events": map[string]any{BackChannelLogoutEvent: map[string]any{}},
		"exp":    nil, // logout tokens need none; a default exp is removed
		"sub":    nil,
	}
	if sid != "" {
		base["sid"] = sid
	}
	if sub != "" {
		base["sub"] = sub
	}
	for k, v := range claims {
		base[k] = v
	}
	return i.Mint(base, append([]MintOption{WithHeader("typ", "logout+jwt")}, opts...)...)
}

// sendBackChannelLogout posts a logout token for the session to every
// registered receiver, each within 5 s.
func (i *Issuer) sendBackChannelLogout(ctx context.Context, sid, sub string) {
	i.backChannel.mu.Lock()
	receivers := append([]receiver(nil), i.backChannel.receivers...)
	i.backChannel.mu.Unlock()
	client := &http.Client{Timeout: 5 * time.Second}
	for _, rc := range receivers {
		err := i.postLogoutToken(ctx, client, rc, sid, sub)
		i.backChannel.mu.Lock()
		if err != nil {
			i.backChannel.failed++
		} else {
			i.backChannel.delivered++
		}
		i.backChannel.mu.Unlock()
	}
}

func (i *Issuer) postLogoutToken(ctx context.Context, client *http.Client, rc receiver, sid, sub string) error {
	token, err := i.MintLogoutToken(rc.clientID, sid, sub, nil)
	if err != nil {
		return err
	}
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, rc.url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return nil
}
