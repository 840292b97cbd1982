// SPDX-License-Identifier: MIT
// The public header compiled as C++ (-std=c++11 -pedantic -Werror, with
// -Wall -Wextra): its extern "C" block must give every function C linkage,
// so this links against the library and runs.
#include <codeinterp/codeinterp.h>

#include <cstdio>
#include <cstring>

namespace {

int on_output(const char *data, size_t len, void *user_data)
{
    (void)data;
    (void)len;
    (void)user_data;
    return 0;
}

void on_audit(const char *json_line, size_t len, void *user_data)
{
    (void)json_line;
    (void)len;
    (void)user_data;
}

} // namespace

int main()
{
    ci_output_callback out_cb = on_output;
    ci_audit_callback audit_cb = on_audit;
    ci_language language = CI_LANGUAGE_TYPESCRIPT;
    ci_status status = CI_STATUS_SANDBOX_ERROR;
    ci_network network = CI_NETWORK_HOST;
    ci_cgroup_mode mode = CI_CGROUP_NONE;
    ci_file_type type = CI_FILE_OTHER;
    ci_error code = CI_EAUDIT;

    if (ci_version_number() != static_cast<uint32_t>(CI_VERSION_NUMBER)) {
        std::fprintf(stderr, "header %d.%d.%d, library %s\n", CI_VERSION_MAJOR,
                     CI_VERSION_MINOR, CI_VERSION_PATCH, ci_version());
        return 1;
    }

    ci_config *config = nullptr;
    ci_exec_options *options = nullptr;
    if (ci_config_new(&config) != CI_OK || ci_exec_options_new(&options) != CI_OK)
        return 1;
    int rc = ci_config_set_network(config, network) | ci_config_set_cgroup_mode(config, mode) |
             ci_config_set_audit_callback(config, audit_cb, nullptr) |
             ci_exec_options_set_language(options, language) |
             ci_exec_options_set_stdout_callback(options, out_cb, nullptr);
    ci_exec_options_free(options);
    ci_config_free(config);
    if (rc != CI_OK)
        return 1;

    ci_language parsed = CI_LANGUAGE_PYTHON;
    if (ci_language_from_name("ts", &parsed) != CI_OK || parsed != language)
        return 1;
    if (std::strcmp(ci_status_name(status), "sandbox_error") != 0 || type != CI_FILE_OTHER)
        return 1;
    return std::strcmp(ci_strerror(code), "unknown error") == 0;
}
