"""A scripted OpenAI-compatible chat-completions server for the LLM scorer's tests (its own process).

    python tests/llm_server.py [--script FILE]     # prints "LISTENING <port>", serves 127.0.0.1 only

It replays replies from a script instead of running a model:
``{"rules": [{"match": TEXT, "replies": [REPLY, ...]}], "default": REPLY}``. A request goes to the
first rule whose ``match`` occurs in its messages; each rule's replies are given in turn, the last
one again once they run out. A reply is ``{"content": TEXT}`` or ``{"json": OBJECT}`` (a 200
completion, with ``logprobs`` and ``finish_reason`` if given), ``{"status": 429|500|...,
"headers": {...}}`` (an API error), ``{"raw": TEXT}`` (a 200 body that is not JSON); ``sleep_s``
delays any of them. Token usage is counted in whitespace-separated words.

``GET /_log`` returns every request body received and the most requests it had in flight at once;
``POST /_script`` replaces the script and clears both.

    python tests/llm_server.py --tiny-model FOLDER --port PORT

instead makes a randomly initialised one-layer Llama with a byte-level BPE tokenizer trained on the
spot (nothing is downloaded) in FOLDER and serves it with ``transformers serve``: a real model
server, whose replies are garbage.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EMPTY_SCRIPT: dict[str, Any] = {"rules": [], "default": {"json": {"quotes": []}}}


class State:
    def __init__(self, script: dict[str, Any]) -> None:
        self.lock = threading.Lock()
        self.load(script)

    def load(self, script: dict[str, Any]) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.script = script
            self.turns = [0] * len(script.get("rules", []))
            self.log: list[dict[str, Any]] = []
            # requests in flight are counted per script: one still sleeping from an earlier script (a
            # client that timed out) is not part of what the new script measures
            self.generation = getattr(self, "generation", 0) + 1
            self.in_flight, self.max_in_flight = 0, 0

    def reply_for(self, body: dict[str, Any]) -> dict[str, Any]:
        text = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
        with self.lock:
            self.log.append(body)
            for i, rule in enumerate(self.script.get("rules", [])):
                if rule["match"] in text:
                    replies = rule["replies"]
                    reply = replies[min(self.turns[i], len(replies) - 1)]
                    self.turns[i] += 1
                    return reply
            return self.script.get("default", EMPTY_SCRIPT["default"])


def _words(text: str) -> int:
    return len(text.split())


def completion(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    content = reply["content"] if "content" in reply else json.dumps(reply["json"])
    prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
    choice: dict[str, Any] = {"index": 0, "finish_reason": reply.get("finish_reason", "stop"),
                              "message": {"role": "assistant", "content": content}, "logprobs": None}
    if reply.get("logprobs") is not None:
        choice["logprobs"] = {"content": reply["logprobs"]}
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "scripted"), "choices": [choice],
            "usage": {"prompt_tokens": _words(prompt), "completion_tokens": _words(content),
                      "total_tokens": _words(prompt) + _words(content)}}


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/_log":
                with state.lock:
                    self._send(200, {"requests": list(state.log), "max_in_flight": state.max_in_flight})
            elif self.path.endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:  # noqa: N802
            body = self._body()
            if self.path == "/_script":
                state.load(body)
                self._send(200, {"ok": True})
                return
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            with state.lock:
                generation = state.generation
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                reply = state.reply_for(body)
                time.sleep(float(reply.get("sleep_s", 0)))
            finally:
                # no longer in flight before the reply leaves: a client that has its answer may send
                # the next request at once, and must not be counted as overlapping this one
                with state.lock:
                    if state.generation == generation:
                        state.in_flight -= 1
            self._reply(body, reply)

        def _reply(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
            if "status" in reply and reply["status"] != 200:
                self._send(int(reply["status"]), {"error": {"message": reply.get("message", "scripted error"),
                                                            "type": "scripted", "code": reply["status"]}},
                           reply.get("headers"))
            elif "raw" in reply:
                self._send(200, str(reply["raw"]), content_type="text/plain")
            else:
                self._send(200, completion(body, reply))

    return Handler


def tiny_model(folder: str) -> None:
    """A randomly initialised one-layer Llama and a BPE tokenizer trained here, saved in ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(['{"quotes": [{"quote": "x", "category": "emotive"}]} news text'] * 4,
                                  trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"],
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=4096,
                         bos_token_id=1, eos_token_id=2)
    LlamaForCausalLM(config).save_pretrained(folder)


def serve_tiny_model(folder: str, port: int) -> None:
    """``transformers serve`` on 127.0.0.1:``port`` with the tiny model made in ``folder``."""
    tiny_model(folder)
    from transformers.cli.transformers import main as transformers_cli

    sys.argv = ["transformers", "serve", "--host", "127.0.0.1", "--port", str(port), folder]
    transformers_cli()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", help="JSON script file (default: every request gets an empty quotes answer)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tiny-model", metavar="FOLDER", help="serve a tiny random model with transformers serve")
    args = parser.parse_args()
    if args.tiny_model:
        serve_tiny_model(args.tiny_model, args.port)
        return
    script = EMPTY_SCRIPT
    if args.script:
        with open(args.script, encoding="utf-8") as handle:
            script = json.load(handle)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(script)))
    server.daemon_threads = True
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()


class ScriptedServer:
    """This file run as a server process on 127.0.0.1, scripted and read over HTTP (for the tests)."""

    def __init__(self) -> None:
        import subprocess

        self.process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "LISTENING":
            self.close()
            raise RuntimeError(f"the scripted LLM server did not start: {line}")
        self.url = f"http://127.0.0.1:{line[1]}"
        self.base_url = f"{self.url}/v1"

    def _call(self, path: str, payload: Any = None) -> Any:
        import urllib.request

        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def script(self, rules: list[dict[str, Any]] | None = None, default: dict[str, Any] | None = None) -> None:
        """Replace the script (``rules``: ``[{"match", "replies"}]``) and clear the request log."""
        self._call("/_script", {"rules": rules or [], "default": default or EMPTY_SCRIPT["default"]})

    def requests(self) -> list[dict[str, Any]]:
        """The bodies of every chat request received since the last :meth:`script`."""
        return self._call("/_log")["requests"]

    def max_in_flight(self) -> int:
        """The most chat requests it was answering at once since the last :meth:`script`."""
        return self._call("/_log")["max_in_flight"]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
