// Command mcp-server is a Model Context Protocol server (streamable HTTP,
// github.com/modelcontextprotocol/go-sdk) that takes only tokens of
// IDENTSPHERE_URL issued for its own URL, IDENTSPHERE_PUBLIC_URL (such as
// https://mcp.example.com/mcp), and publishes its Protected Resource
// Metadata so that MCP clients find the issuer. Each tool needs its scope:
// list_orders orders.read, cancel_order orders.write. It listens on ADDR
// (default 127.0.0.1:8090).
package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		logger.Error("mcp-server failed", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	issuer, resource := getenv("IDENTSPHERE_URL"), getenv("IDENTSPHERE_PUBLIC_URL")
	if issuer == "" || resource == "" {
		return errors.New(
			"IDENTSPHERE_URL (the issuer) and IDENTSPHERE_PUBLIC_URL (this server's URL, such as " +
				"https://mcp.example.com/mcp) are required",
		)
	}
	h, v, err := newHandler(ctx, issuer, resource)
	if err != nil {
		return err
	}
	defer v.Close()
	srv := &http.Server{Addr: cmp.Or(getenv("ADDR"), "127.0.0.1:8090"), Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
