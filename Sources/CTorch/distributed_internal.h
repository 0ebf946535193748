// Shared by the distributed .cpp files: the process-group handle and the
// timed wait on a collective. Not part of the C interface.
#pragma once

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <string>

#include "internal.h"

struct ht_process_group {
    c10::intrusive_ptr<c10d::Store> store;
    // Gloo (created here) or NCCL (created by the plugin): every collective the
    // shim issues is a virtual of c10d::Backend.
    c10::intrusive_ptr<c10d::Backend> group;
    std::chrono::milliseconds timeout;
    int rank;
    int world_size;
    // NCCL's collectives take tensors on this rank's GPU; Gloo's on the CPU.
    bool on_gpu = false;
};

namespace ctorch {

// Waits for `work` with the group's timeout; throws naming `what` when it fails
// or does not complete in time.
void wait_for(ht_process_group *pg, const c10::intrusive_ptr<c10d::Work> &work, const std::string &what);

}  // namespace ctorch
