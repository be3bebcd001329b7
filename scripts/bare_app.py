"""A bare falcon endpoint: the baseline that scripts/bench_core.py (GET) and scripts/bench_batch.py (POST, the
body read and dropped) compare the server against."""
import falcon

BODY = '{\n  "type" : "SUCCESS",\n  "msg" : "Kie Server info",\n  "result" : null\n}'


class Bare:
    def on_get(self, req, resp):
        resp.content_type = "application/json"
        resp.text = BODY

    def on_post(self, req, resp):
        req.bounded_stream.read()
        resp.content_type = "application/json"
        resp.text = BODY


app = falcon.App()
app.add_route("/bare", Bare())
