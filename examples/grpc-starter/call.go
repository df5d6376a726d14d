package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// call is the tiny client: "call -addr A -token T Hello" prints Hello's
// answer, "... Ticks" every tick of the stream until it ends. It dials
// without TLS: for the loopback dev mode only.
func call(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", defaultAddr, "the service's address")
	token := fs.String("token", "", "the access token")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errUsage
	}
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	if *token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+*token)
	}
	switch fs.Arg(0) {
	case "Hello":
		out := new(wrapperspb.StringValue)
		if err := conn.Invoke(ctx, methodHello, &emptypb.Empty{}, out); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, out.GetValue())
		return err
	case "Ticks":
		st, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, methodTicks)
		if err != nil {
			return err
		}
		if err := st.SendMsg(&emptypb.Empty{}); err != nil {
			return err
		}
		if err := st.CloseSend(); err != nil {
			return err
		}
		for {
			out := new(wrapperspb.StringValue)
			if err := st.RecvMsg(out); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if _, err := fmt.Fprintln(stdout, out.GetValue()); err != nil {
				return err
			}
		}
	}
	return errUsage
}
