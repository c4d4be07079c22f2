"""molgdl-fewshot: episodes, few-shot heads and the fewshot protocol task (docs/fewshot.md)."""
