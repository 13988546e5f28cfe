#!/usr/bin/env python3
"""A JWKS server on 127.0.0.1 that t/35-jwks-uri.t controls.

    python3 t/jwt/jwks_server.py --port P --dir D

GET /<path> (any path not under /control) answers the key set of that
path: the file D/<name> chosen by /control/serve, jwks-a.json at first,
as the path's mode says:
  ok       200 with the file
  error    500
  slow     waits --slow seconds, then 200 with the file
  garbage  200 with text that is not JSON
  broken   200 with D/jwks-broken.json (no usable key)
  reset    closes the connection without an answer
Each request is recorded (path, method, headers, body length).

Control (GET): /control/serve/<path>/<file>, /control/mode/<path>/<mode>,
/control/count/<path> -> {"count": n}, /control/requests -> [..],
/control/reset (all counts, requests, modes and files back to start).
"""

import argparse
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {'files': {}, 'modes': {}, 'counts': {}, 'requests': []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, ctype='application/json'):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def control(self, parts):
        with LOCK:
            if parts[0] == 'serve' and len(parts) == 3:
                STATE['files'][parts[1]] = parts[2]
            elif parts[0] == 'mode' and len(parts) == 3:
                STATE['modes'][parts[1]] = parts[2]
            elif parts[0] == 'count' and len(parts) == 2:
                return self.answer(200, json.dumps(
                    {'count': STATE['counts'].get(parts[1], 0)}))
            elif parts[0] == 'requests':
                return self.answer(200, json.dumps(STATE['requests']))
            elif parts[0] == 'reset':
                for k in ('files', 'modes', 'counts'):
                    STATE[k].clear()
                STATE['requests'].clear()
            else:
                return self.answer(404, '{"error":"unknown control"}')
        return self.answer(200, '{"ok":true}')

    def serve(self, method):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        name = self.path.strip('/').split('?')[0]
        with LOCK:
            STATE['counts'][name] = STATE['counts'].get(name, 0) + 1
            STATE['requests'].append({
                'path': self.path, 'method': method,
                'headers': [[k, v] for k, v in self.headers.items()],
                'body_length': len(body)})
            mode = STATE['modes'].get(name, 'ok')
            file = STATE['files'].get(name, 'jwks-a.json')
        if mode == 'error':
            return self.answer(500, '{"error":"down"}')
        if mode == 'garbage':
            return self.answer(200, '<html>not a key set</html>')
        if mode == 'reset':
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return None
        if mode == 'broken':
            file = 'jwks-broken.json'
        if mode == 'slow':
            time.sleep(ARGS.slow)
        with open(os.path.join(ARGS.dir, file), 'rb') as f:
            return self.answer(200, f.read(), 'application/jwk-set+json')

    def do_GET(self):
        if self.path.startswith('/control/'):
            return self.control(self.path[len('/control/'):].split('/'))
        return self.serve('GET')

    def do_POST(self):
        return self.serve('POST')


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--dir', required=True)
    p.add_argument('--slow', type=float, default=3.0)
    ARGS = p.parse_args()
    server = ThreadingHTTPServer(('127.0.0.1', ARGS.port), Handler)
    server.daemon_threads = True
    # bounded: a test that forgets us does not leave us running
    threading.Timer(600, server.shutdown).start()
    server.serve_forever()


if __name__ == '__main__':
    main()
