#!/usr/bin/env python3
"""Serves a directory over HTTP on 127.0.0.1: a shop's own pages, on another origin than the
service, for the web chat widget's browser test.

usage: static_site.py --port 0 --directory DIR
Prints "listening on port N" once it listens. Standard library only.
"""
import argparse, functools, http.server

from test_child import live_as_test_child


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--directory", required=True)
    args = parser.parse_args()
    live_as_test_child()
    handler = functools.partial(Quiet, directory=args.directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    print(f"listening on port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
