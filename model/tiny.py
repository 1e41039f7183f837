"""Random XLM-R checkpoints for tests and benchmarks, built on the spot (nothing downloaded).

By default a few small layers and a unigram sentencepiece tokenizer trained in a second on a
built-in English/Spanish corpus. Same files, same loading code as a real checkpoint.
"""

from pathlib import Path

from tokenizers import SentencePieceUnigramTokenizer
from tokenizers.processors import TemplateProcessing
from transformers import (
    PreTrainedTokenizerBase,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    XLMRobertaTokenizerFast,
)

from model.checkpoint import ID2LABEL, LABEL2ID, CheckpointMeta, write_meta

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]

CORPUS = [
    "a great film with a moving story and wonderful acting",
    "the worst movie I have seen this year, boring and far too long",
    "una película maravillosa, la recomiendo a todos",
    "aburrida, lenta y sin ninguna gracia; no la vean",
    "the plot is thin but the performances are charming",
    "el guion es flojo pero los actores están geniales",
    "an instant classic, funny, smart and beautifully shot",
    "predictable, loud and empty: a waste of two hours",
    "me encantó la música y la fotografía es preciosa",
    "terrible dialogue, wooden acting, I walked out",
]


def train_tokenizer(vocab_size: int = 400) -> XLMRobertaTokenizerFast:
    backend = SentencePieceUnigramTokenizer()
    backend.train_from_iterator(
        CORPUS * 20, vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, unk_token="<unk>"
    )
    backend.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    return XLMRobertaTokenizerFast(tokenizer_object=backend, model_max_length=512)


def build_tiny_checkpoint(
    out: Path,
    threshold: float = 0.5,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    seed: int = 0,
    tokenizer: PreTrainedTokenizerBase | None = None,
) -> Path:
    """A random XLM-R classifier of the given shape; by default tiny, with a tokenizer trained
    here (benchmarks pass a real one and a base-sized shape)."""
    import torch

    torch.manual_seed(seed)
    tokenizer = tokenizer or train_tokenizer()
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 4,
        max_position_embeddings=514,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=0,
        eos_token_id=2,
        num_labels=2,
        # Wider than BERT's 0.02 so that random scores spread over (0, 1) instead of all ~0.5.
        initializer_range=0.5,
        id2label=ID2LABEL,
        label2id=LABEL2ID,
    )
    model = XLMRobertaForSequenceClassification(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    write_meta(
        out, CheckpointMeta(threshold=threshold, base_model=f"random-xlm-roberta-{hidden}x{layers}")
    )
    return out
