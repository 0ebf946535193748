// TorchScript: script values (IValue), modules, and tensor-list files.
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <c10/core/InferenceMode.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "internal.h"

struct ht_value {
    c10::IValue v;
};
struct ht_module {
    torch::jit::Module m;
};

using namespace ctorch;

static torch::jit::Module &module(ht_module *h) {
    if (h == nullptr) throw std::invalid_argument("null module handle");
    return h->m;
}
static const c10::IValue &value(ht_value *h) {
    if (h == nullptr) throw std::invalid_argument("null value handle");
    return h->v;
}
static const char *text(const char *s, const char *what) {
    if (s == nullptr) throw std::invalid_argument(std::string("null ") + what);
    return s;
}
static std::string join(const std::vector<std::string> &names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) out += '\n';
        out += names[i];
    }
    return out;
}

extern "C" {

/* ------------------------------------------------------------ tensor lists */
int32_t ht_tensor_list_new(ht_tensor_list **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_tensor_list();
    HT_END
}
void ht_tensor_list_free(ht_tensor_list *l) { delete l; }
int32_t ht_tensor_list_push(ht_tensor_list *l, ht_tensor *t) {
    HT_BEGIN
    if (!l) throw std::invalid_argument("null tensor list");
    l->items.push_back(tensor(t));
    HT_END
}
int32_t ht_tensor_list_size(ht_tensor_list *l, int64_t *out) {
    HT_BEGIN
    if (!l) throw std::invalid_argument("null tensor list");
    require_out(out);
    *out = (int64_t)l->items.size();
    HT_END
}
int32_t ht_tensor_list_get(ht_tensor_list *l, int64_t i, ht_tensor **out) {
    HT_BEGIN
    if (!l) throw std::invalid_argument("null tensor list");
    require_out(out);
    if (i < 0 || i >= (int64_t)l->items.size()) throw std::out_of_range("tensor list index out of range");
    *out = wrap(l->items[i]);
    HT_END
}
int32_t ht_tensor_list_save(ht_tensor_list *l, const char *path) {
    HT_BEGIN
    if (!l) throw std::invalid_argument("null tensor list");
    c10::List<at::Tensor> list;
    // CPU copies (the tensor itself when it is on the CPU already): files written on
    // a GPU load on a machine without one, and the reverse.
    for (const auto &t : l->items) list.push_back(t.detach().cpu());
    std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(list));
    std::ofstream f(text(path, "path"), std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open ") + path + " for writing");
    f.write(bytes.data(), (std::streamsize)bytes.size());
    if (!f) throw std::runtime_error(std::string("cannot write ") + path);
    HT_END
}
int32_t ht_tensor_list_load(const char *path, ht_tensor_list **out) {
    HT_BEGIN
    require_out(out);
    std::ifstream f(text(path, "path"), std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot open ") + path);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    c10::IValue v = torch::jit::pickle_load(bytes);
    auto list = std::make_unique<ht_tensor_list>();
    if (v.isTensorList()) {
        for (const at::Tensor &t : v.toTensorVector()) list->items.push_back(t);
    } else if (v.isList()) {
        for (const c10::IValue &e : v.toListRef()) list->items.push_back(e.toTensor());
    } else if (v.isTensor()) {
        list->items.push_back(v.toTensor());
    } else {
        throw std::runtime_error(std::string(path) + " does not hold a list of tensors");
    }
    *out = list.release();
    HT_END
}

/* ------------------------------------------------------------ script values */
void ht_value_free(ht_value *v) { delete v; }
int32_t ht_value_from_tensor(ht_tensor *t, ht_value **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_value{c10::IValue(tensor(t))};
    HT_END
}
int32_t ht_value_from_double(double d, ht_value **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_value{c10::IValue(d)};
    HT_END
}
int32_t ht_value_from_int(int64_t i, ht_value **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_value{c10::IValue(i)};
    HT_END
}
int32_t ht_value_from_bool(int32_t b, ht_value **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_value{c10::IValue(b != 0)};
    HT_END
}
int32_t ht_value_from_string(const char *s, ht_value **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_value{c10::IValue(std::string(text(s, "string")))};
    HT_END
}
int32_t ht_value_none(ht_value **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_value{c10::IValue()};
    HT_END
}
int32_t ht_value_from_values(ht_value *const *vs, int64_t n, int32_t as_tuple, ht_value **out) {
    HT_BEGIN
    require_out(out);
    if (n > 0 && vs == nullptr) throw std::invalid_argument("null value array");
    std::vector<c10::IValue> items;
    for (int64_t i = 0; i < n; ++i) items.push_back(value(vs[i]));
    if (as_tuple) {
        *out = new ht_value{c10::ivalue::Tuple::create(std::move(items))};
    } else {
        // A typed list (List[Tensor], List[float], ...) when the elements agree, as
        // TorchScript methods declare them.
        c10::TypePtr element = items.empty() ? c10::TensorType::get() : items[0].type();
        for (const auto &item : items) {
            auto unified = c10::unifyTypes(element, item.type());
            if (!unified) throw std::invalid_argument("list elements have different types");
            element = *unified;
        }
        c10::impl::GenericList list(element);
        for (auto &item : items) list.push_back(std::move(item));
        *out = new ht_value{c10::IValue(list)};
    }
    HT_END
}
int32_t ht_value_kind(ht_value *h, int32_t *out) {
    HT_BEGIN
    require_out(out);
    const c10::IValue &v = value(h);
    if (v.isNone()) *out = HT_VALUE_NONE;
    else if (v.isTensor()) *out = HT_VALUE_TENSOR;
    else if (v.isDouble()) *out = HT_VALUE_DOUBLE;
    else if (v.isInt()) *out = HT_VALUE_INT;
    else if (v.isBool()) *out = HT_VALUE_BOOL;
    else if (v.isString()) *out = HT_VALUE_STRING;
    else if (v.isTuple()) *out = HT_VALUE_TUPLE;
    else if (v.isList()) *out = HT_VALUE_LIST;
    else if (v.isGenericDict()) *out = HT_VALUE_DICT;
    else *out = HT_VALUE_OTHER;
    HT_END
}
int32_t ht_value_tensor(ht_value *h, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(value(h).toTensor());
    HT_END
}
int32_t ht_value_double(ht_value *h, double *out) {
    HT_BEGIN
    require_out(out);
    *out = value(h).toDouble();
    HT_END
}
int32_t ht_value_int(ht_value *h, int64_t *out) {
    HT_BEGIN
    require_out(out);
    *out = value(h).toInt();
    HT_END
}
int32_t ht_value_bool(ht_value *h, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = value(h).toBool() ? 1 : 0;
    HT_END
}
int32_t ht_value_string(ht_value *h, char **out) {
    HT_BEGIN
    require_out(out);
    *out = copy_string(value(h).toStringRef());
    HT_END
}
int32_t ht_value_type_name(ht_value *h, char **out) {
    HT_BEGIN
    require_out(out);
    *out = copy_string(value(h).type()->str());
    HT_END
}
int32_t ht_value_count(ht_value *h, int64_t *out) {
    HT_BEGIN
    require_out(out);
    const c10::IValue &v = value(h);
    if (v.isTuple()) *out = (int64_t)v.toTupleRef().elements().size();
    else if (v.isList()) *out = (int64_t)v.toListRef().size();
    else if (v.isGenericDict()) *out = (int64_t)v.toGenericDict().size();
    else throw std::invalid_argument("value of type " + v.type()->str() + " has no elements");
    HT_END
}
int32_t ht_value_element(ht_value *h, int64_t i, ht_value **out) {
    HT_BEGIN
    require_out(out);
    const c10::IValue &v = value(h);
    int64_t n = 0;
    ht_value_count(h, &n);
    if (i < 0 || i >= n) throw std::out_of_range("element index out of range");
    if (v.isTuple()) *out = new ht_value{v.toTupleRef().elements()[i]};
    else if (v.isList()) *out = new ht_value{v.toListRef()[i]};
    else {
        auto it = v.toGenericDict().begin();
        std::advance(it, i);
        *out = new ht_value{it->value()};
    }
    HT_END
}
int32_t ht_value_key(ht_value *h, int64_t i, char **out) {
    HT_BEGIN
    require_out(out);
    const c10::IValue &v = value(h);
    if (!v.isGenericDict()) throw std::invalid_argument("value is not a dict");
    auto dict = v.toGenericDict();
    if (i < 0 || i >= (int64_t)dict.size()) throw std::out_of_range("key index out of range");
    auto it = dict.begin();
    std::advance(it, i);
    const c10::IValue &key = it->key();
    if (key.isString()) {
        *out = copy_string(key.toStringRef());
    } else {
        std::ostringstream s;
        s << key;
        *out = copy_string(s.str());
    }
    HT_END
}

/* ----------------------------------------------------------- script modules */
void ht_module_free(ht_module *m) { delete m; }
int32_t ht_module_load(const char *path, ht_module **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_module{torch::jit::load(text(path, "path"))};
    HT_END
}
int32_t ht_module_save(ht_module *m, const char *path) {
    HT_BEGIN
    module(m).save(text(path, "path"));
    HT_END
}
int32_t ht_module_new(const char *name, ht_module **out) {
    HT_BEGIN
    require_out(out);
    torch::jit::Module m(c10::QualifiedName(text(name, "name")));
    // Every scripted nn.Module carries `training`; Module::train() and
    // `self.training` in TorchScript source rely on it.
    m.register_attribute("training", c10::BoolType::get(), true);
    *out = new ht_module{std::move(m)};
    HT_END
}
int32_t ht_module_define(ht_module *m, const char *source) {
    HT_BEGIN
    module(m).define(text(source, "source"));
    HT_END
}
int32_t ht_module_register_parameter(ht_module *m, const char *name, ht_tensor *t, int32_t is_buffer) {
    HT_BEGIN
    module(m).register_parameter(text(name, "name"), tensor(t), is_buffer != 0);
    HT_END
}
int32_t ht_module_register_module(ht_module *m, const char *name, ht_module *child) {
    HT_BEGIN
    module(m).register_module(text(name, "name"), module(child));
    HT_END
}
int32_t ht_module_set_attribute_tensor(ht_module *m, const char *name, ht_tensor *t) {
    HT_BEGIN
    module(m).setattr(text(name, "name"), tensor(t));
    HT_END
}
int32_t ht_module_run_method(ht_module *m, const char *method, ht_value *const *args,
                             int64_t nargs, ht_value **out) {
    return ht_module_run_method_mode(m, method, args, nargs, 0, out);
}
int32_t ht_module_run_method_mode(ht_module *m, const char *method, ht_value *const *args,
                                  int64_t nargs, int32_t inference, ht_value **out) {
    HT_BEGIN
    require_out(out);
    auto &mod = module(m);
    auto found = mod.find_method(text(method, "method name"));
    if (!found) throw std::invalid_argument("module " + mod.type()->name()->qualifiedName() +
                                            " has no method '" + method + "'");
    if (nargs > 0 && args == nullptr) throw std::invalid_argument("null argument array");
    std::vector<c10::IValue> stack;
    stack.reserve(nargs);
    for (int64_t i = 0; i < nargs; ++i) stack.push_back(value(args[i]));
    // The guard is held for the forward only and released before returning.
    c10::optional<c10::InferenceMode> guard;
    if (inference) guard.emplace();
    *out = new ht_value{(*found)(std::move(stack))};
    HT_END
}
int32_t ht_module_has_method(ht_module *m, const char *method, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = module(m).find_method(text(method, "method name")).has_value() ? 1 : 0;
    HT_END
}
int32_t ht_module_method_names(ht_module *m, char **out) {
    HT_BEGIN
    require_out(out);
    std::vector<std::string> names;
    for (const auto &method : module(m).get_methods()) names.push_back(method.name());
    *out = copy_string(join(names));
    HT_END
}
int32_t ht_module_type_name(ht_module *m, char **out) {
    HT_BEGIN
    require_out(out);
    *out = copy_string(module(m).type()->name()->qualifiedName());
    HT_END
}
int32_t ht_module_submodule(ht_module *m, const char *path, ht_module **out) {
    HT_BEGIN
    require_out(out);
    torch::jit::Module current = module(m);
    std::string p = text(path, "path");
    std::stringstream parts(p);
    std::string part;
    std::string walked;
    while (!p.empty() && std::getline(parts, part, '.')) {
        c10::optional<c10::IValue> attr;
        if (current.hasattr(part)) attr = current.attr(part);
        if (!attr || !attr->isModule())
            throw std::invalid_argument("no submodule '" + part + "'" +
                                        (walked.empty() ? std::string() : " in '" + walked + "'") +
                                        " (path '" + p + "')");
        current = attr->toModule();
        walked += (walked.empty() ? "" : ".") + part;
    }
    *out = new ht_module{current};
    HT_END
}
int32_t ht_module_child_names(ht_module *m, int32_t recursive, char **out) {
    HT_BEGIN
    require_out(out);
    std::vector<std::string> names;
    if (recursive) {
        for (const auto &item : module(m).named_modules())
            if (!item.name.empty()) names.push_back(item.name);
    } else {
        for (const auto &item : module(m).named_children()) names.push_back(item.name);
    }
    *out = copy_string(join(names));
    HT_END
}
}  // extern "C"

template <typename Named>
static void named_tensors(Named &&items, char **names, ht_tensor_list **tensors) {
    std::vector<std::string> n;
    auto list = std::make_unique<ht_tensor_list>();
    for (const auto &item : items) {
        n.push_back(item.name);
        list->items.push_back(item.value);
    }
    *names = copy_string(join(n));
    *tensors = list.release();
}

extern "C" {
int32_t ht_module_named_parameters(ht_module *m, int32_t recurse, char **names,
                                   ht_tensor_list **tensors) {
    HT_BEGIN
    require_out(names);
    require_out(tensors);
    named_tensors(module(m).named_parameters(recurse != 0), names, tensors);
    HT_END
}
int32_t ht_module_named_buffers(ht_module *m, int32_t recurse, char **names,
                                ht_tensor_list **tensors) {
    HT_BEGIN
    require_out(names);
    require_out(tensors);
    named_tensors(module(m).named_buffers(recurse != 0), names, tensors);
    HT_END
}
int32_t ht_module_train(ht_module *m, int32_t on) {
    HT_BEGIN
    module(m).train(on != 0);
    HT_END
}
int32_t ht_module_is_training(ht_module *m, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = module(m).is_training() ? 1 : 0;
    HT_END
}
int32_t ht_module_freeze(ht_module *m, ht_module **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_module{torch::jit::freeze(module(m))};
    HT_END
}
int32_t ht_module_freeze_for_inference(ht_module *m, const char *methods, int32_t optimize,
                                       ht_module **out) {
    HT_BEGIN
    require_out(out);
    auto &mod = module(m);
    if (mod.hasattr("training") && mod.is_training())
        throw std::invalid_argument("freezing needs the module in eval mode");
    std::vector<std::string> kept;
    std::stringstream names(text(methods, "method names"));
    std::string name;
    while (std::getline(names, name, '\n'))
        if (!name.empty() && name != "forward") kept.push_back(name);
    torch::jit::Module frozen = torch::jit::freeze(mod, kept, true);
    if (optimize) frozen = torch::jit::optimize_for_inference(frozen, kept);
    *out = new ht_module{std::move(frozen)};
    HT_END
}
int32_t ht_module_to_memory_format(ht_module *m, int32_t format) {
    HT_BEGIN
    at::NoGradGuard no_grad;
    auto fmt = memory_format(format);
    for (const auto &p : module(m).parameters(true))
        if (p.dim() == 4) p.set_data(p.contiguous(fmt));
    for (const auto &b : module(m).buffers(true))
        if (b.dim() == 4) b.set_data(b.contiguous(fmt));
    HT_END
}
int32_t ht_module_clone(ht_module *m, ht_module **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_module{module(m).clone()};
    HT_END
}
int32_t ht_module_to_dtype(ht_module *m, int32_t dtype) {
    HT_BEGIN
    module(m).to(to_scalar_type(dtype));
    HT_END
}
int32_t ht_module_to_device(ht_module *m, int32_t device_type, int32_t index) {
    HT_BEGIN
    module(m).to(device(device_type, index));
    HT_END
}

}  // extern "C"
