/* placeholder: being written (pg helper) */
