package authproxy_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	"github.com/identsphere/identsphere-go/authproxy"
)

// The application serves login and logout on its own origin; the identity
// provider does the work and its cookie becomes the application's.
func Example() {
	// A stand-in for the identity provider.
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "idp_session=s1; Path=/; Domain=id.example.com; HttpOnly; Secure")
		fmt.Fprintf(w, "provider: %s %s, Authorization %q\n", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}))
	defer idp.Close()

	proxy, err := authproxy.New(authproxy.Config{
		Issuer:       idp.URL, // https://id.example.com in production
		AllowedPaths: []string{"/v1/auth/login", "/v1/auth/logout"},
		CookieDomain: "app.example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/auth/", proxy) // the full path, prefix included
	app := httptest.NewServer(mux)
	defer app.Close()

	req, _ := http.NewRequest(http.MethodPost, app.URL+"/v1/auth/login", strings.NewReader(`{"email":"a@example.com"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer the-app-token") // the app's, not the provider's
	resp, err := app.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))
	fmt.Println("browser:", resp.Header.Get("Set-Cookie"))
	// Output:
	// provider: POST /v1/auth/login, Authorization ""
	// browser: idp_session=s1; Path=/; Domain=app.example.com; HttpOnly; Secure
}

// Behind a load balancer that terminates TLS, the provider is told the
// user's address and scheme, not the balancer's; other sites cannot make a
// browser log out; and a tunnel is no login.
func ExampleConfig_trustedProxies() {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(
			w,
			"provider: client %s over %s\n",
			r.Header.Get("X-Forwarded-For"),
			r.Header.Get("X-Forwarded-Proto"),
		)
	}))
	defer idp.Close()

	proxy, err := authproxy.New(authproxy.Config{
		Issuer: idp.URL,
		// The balancer's addresses; here, the loopback this example runs on.
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(proxy)
	defer app.Close()

	do := func(method string, header map[string]string) {
		req, _ := http.NewRequest(method, app.URL+"/v1/auth/logout", nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := app.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
		fmt.Println(strings.TrimSpace(string(body)))
	}
	// What the balancer adds: the client's address, and that it came over TLS.
	do(http.MethodPost, map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
	// A form on another site, posting in the user's browser.
	do(http.MethodPost, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	do(http.MethodTrace, nil)
	// Output:
	// 200
	// provider: client 203.0.113.7 over https
	// 403
	// {"error":"forbidden","error_description":"Cross-origin requests to the authentication service are not allowed."}
	// 405
	// {"error":"method_not_allowed","error_description":"This method is not allowed here."}
}
